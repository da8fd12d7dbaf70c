/* httpoutcome.h - what a finished HTTP transfer means: its one outcome (enum ei_outcome,
 * which http.h's requests carry) and a detail for the operator, from how libcurl and
 * http.c's callbacks ended it (pure; http.c gathers the facts, this judges nothing beyond
 * the outcome). Below http.h: it knows nothing of http.c's requests. */
#ifndef EI_HTTPOUTCOME_H
#define EI_HTTPOUTCOME_H

#include <stddef.h>

#include <curl/curl.h>

enum ei_outcome {
	EI_OUTCOME_NOT_ASKED = 0,
	EI_OUTCOME_VALID,       /* a 2xx answer (the caller may still find its body malformed) */
	EI_OUTCOME_REFUSED,     /* connection refused */
	EI_OUTCOME_TIMEOUT,     /* connect, first byte, total time, or a body that drips */
	EI_OUTCOME_UNREACHABLE, /* no route, host down, name not resolvable */
	EI_OUTCOME_CLOSED,      /* reset or closed before a complete answer */
	EI_OUTCOME_TLS,         /* handshake or certificate failure */
	EI_OUTCOME_HTTP_ERROR,  /* an HTTP status other than 2xx, redirects included */
	EI_OUTCOME_MALFORMED,   /* not HTTP, too large, truncated, or a body that does not parse */
	EI_OUTCOME_NOT_PEER,    /* not asked: the address is not a peer's (set by the caller) */
};

/* "valid", "refused", ... for logs and JSON. */
const char *ei_outcome_name(enum ei_outcome o);

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
	const char *url;
	long status;                 /* the HTTP status, 0 when there was none */
	const char *resp;            /* the body, or NULL */
	size_t resp_len;
	const char *const *secrets;  /* NULL-terminated: never quoted in the detail */
	CURLcode result;
	enum ei_http_abort aborted;
	long os_errno;	       /* CURLINFO_OS_ERRNO */
	const char *curl_text; /* libcurl's error buffer, else curl_easy_strerror(result) */
	size_t max_body, max_headers;
	long first_byte_ms, min_speed;
	size_t bytes; /* headers and body received */
};

/* The outcome of the transfer e describes, and a detail into detail[len] (an HTTP error's
 * detail quotes the body without the secrets). */
void ei_http_classify(const struct ei_http_end *e, enum ei_outcome *outcome, char *detail,
		      size_t len);

#endif
