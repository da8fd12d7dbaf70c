/* httpoutcome.h - what a finished HTTP transfer means: its one outcome (http.h enum
 * ei_outcome) and a detail for the operator, from how libcurl and http.c's callbacks
 * ended it (pure; http.c gathers the facts, this judges nothing beyond the outcome). */
#ifndef EI_HTTPOUTCOME_H
#define EI_HTTPOUTCOME_H

#include <stddef.h>

#include <curl/curl.h>

#include "http.h"

/* Why one of http.c's callbacks cut a transfer short (the bounds at the top of http.c). */
enum ei_http_abort {
	EI_HTTP_ABORT_NONE,
	EI_HTTP_ABORT_BODY,	  /* the body outgrew max_body */
	EI_HTTP_ABORT_HEADERS,	  /* the headers outgrew max_headers */
	EI_HTTP_ABORT_FIRST_BYTE, /* nothing within first_byte_ms */
	EI_HTTP_ABORT_SLOW,	  /* slower than min_speed bytes/s */
	EI_HTTP_ABORT_NOMEM,	  /* no memory for the answer */
};

/* How a transfer ended. */
struct ei_http_end {
	CURLcode result;
	enum ei_http_abort aborted;
	long os_errno;	       /* CURLINFO_OS_ERRNO */
	const char *curl_text; /* libcurl's error buffer, else curl_easy_strerror(result) */
	size_t max_body, max_headers;
	long first_byte_ms, min_speed;
	size_t bytes; /* headers and body received */
};

/* Set r->outcome and r->detail from e, with r->url, r->status, r->resp and r->secrets
 * as the transfer left them (an HTTP error's detail quotes the body without secrets). */
void ei_http_classify(struct ei_http_req *r, const struct ei_http_end *e);

#endif
