/* httpoutcome.c - what a finished HTTP transfer means (see httpoutcome.h). */
#include "httpoutcome.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* What a libcurl result means, for those that are not "unreachable" (a table, not a
 * switch: CURLcode grows with every release, and the project builds with -Wswitch-enum). */
static const struct {
	CURLcode code;
	enum ei_outcome outcome;
} curl_outcomes[] = {
	{ CURLE_COULDNT_RESOLVE_HOST, EI_OUTCOME_UNREACHABLE },
	{ CURLE_OPERATION_TIMEDOUT, EI_OUTCOME_TIMEOUT },
	{ CURLE_GOT_NOTHING, EI_OUTCOME_CLOSED },
	{ CURLE_RECV_ERROR, EI_OUTCOME_CLOSED },
	{ CURLE_SEND_ERROR, EI_OUTCOME_CLOSED },
	{ CURLE_PARTIAL_FILE, EI_OUTCOME_MALFORMED },
	{ CURLE_WEIRD_SERVER_REPLY, EI_OUTCOME_MALFORMED },
	/* "Received HTTP/0.9 when not allowed": TLS (or anything) on an http URL. */
	{ CURLE_UNSUPPORTED_PROTOCOL, EI_OUTCOME_MALFORMED },
	{ CURLE_BAD_CONTENT_ENCODING, EI_OUTCOME_MALFORMED },
	{ CURLE_FILESIZE_EXCEEDED, EI_OUTCOME_MALFORMED },
	{ CURLE_WRITE_ERROR, EI_OUTCOME_MALFORMED },
	{ CURLE_HTTP2, EI_OUTCOME_MALFORMED },
	{ CURLE_SSL_CONNECT_ERROR, EI_OUTCOME_TLS },
	{ CURLE_PEER_FAILED_VERIFICATION, EI_OUTCOME_TLS },
	{ CURLE_SSL_CERTPROBLEM, EI_OUTCOME_TLS },
	{ CURLE_SSL_CIPHER, EI_OUTCOME_TLS },
	{ CURLE_SSL_CACERT_BADFILE, EI_OUTCOME_TLS },
	{ CURLE_SSL_ENGINE_NOTFOUND, EI_OUTCOME_TLS },
	{ CURLE_SSL_ENGINE_SETFAILED, EI_OUTCOME_TLS },
	{ CURLE_SSL_ENGINE_INITFAILED, EI_OUTCOME_TLS },
	{ CURLE_SSL_SHUTDOWN_FAILED, EI_OUTCOME_TLS },
	{ CURLE_SSL_CRL_BADFILE, EI_OUTCOME_TLS },
	{ CURLE_SSL_ISSUER_ERROR, EI_OUTCOME_TLS },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, EI_OUTCOME_TLS },
	{ CURLE_SSL_INVALIDCERTSTATUS, EI_OUTCOME_TLS },
	{ CURLE_USE_SSL_FAILED, EI_OUTCOME_TLS },
#if LIBCURL_VERSION_NUM >= 0x074d00 /* 7.77.0 */
	{ CURLE_SSL_CLIENTCERT, EI_OUTCOME_TLS },
#endif
};

/* The outcome of a transfer one of http.c's callbacks cut short; false if none did. */
static bool classify_aborted(const struct ei_http_end *e, enum ei_outcome *o, char *detail,
			     size_t len)
{
	switch (e->aborted) {
	case EI_HTTP_ABORT_BODY:
		*o = EI_OUTCOME_MALFORMED;
		snprintf(detail, len, "answer larger than %zu bytes",
			 e->max_body);
		return true;
	case EI_HTTP_ABORT_HEADERS:
		*o = EI_OUTCOME_MALFORMED;
		snprintf(detail, len, "headers larger than %zu bytes",
			 e->max_headers);
		return true;
	case EI_HTTP_ABORT_FIRST_BYTE:
		*o = EI_OUTCOME_TIMEOUT;
		snprintf(detail, len, "no answer within %ld ms",
			 e->first_byte_ms);
		return true;
	case EI_HTTP_ABORT_SLOW:
		*o = EI_OUTCOME_TIMEOUT;
		snprintf(detail, len,
			 "answer arrives slower than %ld bytes/s (cut off after %zu bytes)",
			 e->min_speed, e->bytes);
		return true;
	case EI_HTTP_ABORT_NOMEM:
		*o = EI_OUTCOME_MALFORMED;
		snprintf(detail, len, "out of memory reading the answer");
		return true;
	case EI_HTTP_ABORT_NONE:
	default:
		return false;
	}
}

/* The outcome of an answer: valid, or an HTTP error with an excerpt of its body. */
static void classify_answer(const struct ei_http_end *e, enum ei_outcome *o, char *detail,
			    size_t len)
{
	char excerpt[121];

	if (e->status >= 200 && e->status < 300) {
		*o = EI_OUTCOME_VALID;
		snprintf(detail, len, "HTTP %ld", e->status);
		return;
	}
	*o = EI_OUTCOME_HTTP_ERROR;
	ei_excerpt(excerpt, sizeof(excerpt), e->resp ? e->resp : "", e->resp_len, e->secrets);
	snprintf(detail, len, "HTTP %ld%s%s", e->status, excerpt[0] ? ": " : "",
		 excerpt);
}

/* The outcome of a transfer libcurl ended with an error. */
static void classify_failure(const struct ei_http_end *e, enum ei_outcome *o, char *detail,
			     size_t len)
{
	const char *curl_text = e->curl_text;
	long os_errno = e->result == CURLE_COULDNT_CONNECT ? e->os_errno : 0;

	*o = os_errno == ECONNREFUSED ? EI_OUTCOME_REFUSED : EI_OUTCOME_UNREACHABLE;
	for (size_t i = 0; i < sizeof(curl_outcomes) / sizeof(curl_outcomes[0]); i++)
		if (curl_outcomes[i].code == e->result)
			*o = curl_outcomes[i].outcome;
	/* A server that rejects our certificate says so with an alert after the handshake
	 * (TLS 1.3): libcurl reports a read or send error whose text is OpenSSL's reason. */
	if (*o == EI_OUTCOME_CLOSED && strncmp(e->url, "https:", 6) == 0 &&
	    (strstr(curl_text, "alert") || strstr(curl_text, "certificate")))
		*o = EI_OUTCOME_TLS;
	/* And the other way: a handshake cut by a reset or a close (OpenSSL's
	 * SSL_ERROR_SYSCALL, "unexpected eof", or libcurl's own "Recv failure: Connection
	 * reset by peer") is a closed connection, not a TLS failure (a server restarting, a
	 * port changing hands: a waiting etcd-init closing its status server for etcd). */
	if (*o == EI_OUTCOME_TLS &&
	    (strstr(curl_text, "SSL_ERROR_SYSCALL") || strstr(curl_text, "unexpected eof") ||
	     strstr(curl_text, "Connection reset by peer")))
		*o = EI_OUTCOME_CLOSED;
	/* The connect errors in the kernel's words ("Connection refused", "No route to
	 * host"): libcurl's sentence says less with more words. */
	if (os_errno) {
		snprintf(detail, len, "%s", strerror((int)os_errno));
		return;
	}
	snprintf(detail, len, "%s", curl_text);
}

void ei_http_classify(const struct ei_http_end *end, enum ei_outcome *outcome, char *detail,
		      size_t len)
{
	struct ei_http_end e = *end;

	/* CURLOPT_MAXFILESIZE refuses a too large Content-Length before any body byte. */
	if (e.result == CURLE_FILESIZE_EXCEEDED && e.aborted == EI_HTTP_ABORT_NONE)
		e.aborted = EI_HTTP_ABORT_BODY;
	if (classify_aborted(&e, outcome, detail, len))
		return;
	if (e.result == CURLE_OK)
		classify_answer(&e, outcome, detail, len);
	else
		classify_failure(&e, outcome, detail, len);
}

const char *ei_outcome_name(enum ei_outcome o)
{
	static const char *const names[] = {
		[EI_OUTCOME_NOT_ASKED] = "not-asked",
		[EI_OUTCOME_VALID] = "valid",
		[EI_OUTCOME_REFUSED] = "refused",
		[EI_OUTCOME_TIMEOUT] = "timeout",
		[EI_OUTCOME_UNREACHABLE] = "unreachable",
		[EI_OUTCOME_CLOSED] = "closed",
		[EI_OUTCOME_TLS] = "tls",
		[EI_OUTCOME_HTTP_ERROR] = "http-error",
		[EI_OUTCOME_MALFORMED] = "malformed",
		[EI_OUTCOME_NOT_PEER] = "not-a-peer",
	};

	if ((unsigned)o < sizeof(names) / sizeof(names[0]) && names[o])
		return names[o];
	return "unknown";
}
