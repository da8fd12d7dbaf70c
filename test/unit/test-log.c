/* Unit tests for lib/log.c: one line per event, logfmt or JSON, each value one field
 * whatever it holds (no value from a peer can add or change a field), errno preserved. */
#include "log.h"
#include "tap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

static FILE *capture_start(char **buf, size_t *len, enum ei_log_format format,
			   enum ei_log_level max)
{
	FILE *f = open_memstream(buf, len);

	ei_log_setup(format, max, f);
	return f;
}

static char *capture_end(FILE *f, char **buf)
{
	fclose(f);
	ei_log_setup(EI_LOG_TEXT, EI_LOG_INFO, NULL);
	return *buf;
}

/* The captured line without its newline, for a TAP description. */
static const char *line(const char *out)
{
	static char buf[2048];
	size_t n = strcspn(out, "\n");

	snprintf(buf, sizeof(buf), "%.*s", (int)n, out);
	return buf;
}

static const char *get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static size_t keys(json_object *o)
{
	size_t n = 0;

	json_object_object_foreach(o, k, v)
	{
		(void)k;
		(void)v;
		n++;
	}
	return n;
}

int main(void)
{
	/* A peer's error message that tries every trick in the book. */
	static const char evil[] = "bad\" level=error msg=\"forged\" x=\"y\\\nz=1 \x01" "end";
	enum ei_log_format fmt;
	json_object *obj;
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *f;

	tap_init();
	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_INFO, "waiting for DNS", "name=%s attempt=%u", "etcd-0.x", 3u);
	out = capture_end(f, &buf);
	tap_ok(strncmp(out, "ts=", 3) == 0, "text starts with the timestamp");
	tap_ok(strstr(out, " level=info msg=\"waiting for DNS\" name=etcd-0.x attempt=3\n") != NULL,
	       "text: level, quoted msg, bare plain values: %s", line(out));
	tap_ok(strchr(out, '\n') == out + strlen(out) - 1, "exactly one line");
	free(out);

	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_INFO, "decision", "action=%s reason=%s", "wait", "no WAL and \"absent\"");
	out = capture_end(f, &buf);
	tap_ok(strstr(out, " action=wait reason=\"no WAL and \\\"absent\\\"\"\n") != NULL,
	       "text: a value with spaces and quotes is quoted and escaped: %s", line(out));
	free(out);

	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_WARN, "peer answered", "peer=%s message=%s", "etcd-2", evil);
	out = capture_end(f, &buf);
	tap_ok(strchr(out, '\n') == out + strlen(out) - 1, "text: a peer's newline stays escaped: %s",
	       line(out));
	tap_ok(strstr(out, " level=warn msg=\"peer answered\" peer=etcd-2 message=\"bad") != NULL,
	       "text: a peer cannot forge the level or the message");
	tap_ok(strstr(out, "message=\"bad\\\" level=error msg=\\\"forged\\\" x=\\\"y\\\\\\nz=1 "
			   "\\x01end\"\n") != NULL,
	       "text: the whole message is one quoted value");
	free(out);

	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_INFO, "say \"hi\"\nthere", NULL);
	out = capture_end(f, &buf);
	tap_ok(strstr(out, "msg=\"say \\\"hi\\\"\\nthere\"\n") != NULL,
	       "text: msg quoted and escaped, newline kept as \\n: %s", line(out));
	free(out);

	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_DEBUG, "hidden", NULL);
	out = capture_end(f, &buf);
	tap_ok(out && out[0] == '\0', "debug is filtered at info");
	free(out);

	/* Every conversion the code uses, each one field. */
	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_INFO, "types", "a=%d b=%u c=%ld d=%zu e=%" PRIx64 " f=%016" PRIx64 " g=SIG%s h=%.3s i=%c j=%%",
	       -5, 7u, -70L, (size_t)42, UINT64_C(0xdeadbeef), UINT64_C(0xab), "TERM", "abcdef", 'x');
	out = capture_end(f, &buf);
	tap_ok(strstr(out, " a=-5 b=7 c=-70 d=42 e=deadbeef f=00000000000000ab g=SIGTERM h=abc i=x "
			   "j=%\n") != NULL,
	       "every conversion formats as printf would: %s", line(out));
	free(out);

	/* Doubles take their own registers: the arguments after them still line up. */
	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_INFO, "floats", "f=%.2f e=%e g=%g after=%s n=%zu x=%" PRIx64 " p=%d%% s=% d", 1.5,
	       12345.678, 0.25, "still", (size_t)7, UINT64_C(0xff), 50, 3);
	out = capture_end(f, &buf);
	tap_ok(strstr(out, " f=1.50 e=1.234568e+04 g=0.25 after=still n=7 x=ff p=50% s=\" 3\"\n") !=
		       NULL,
	       "%%f, %%e and %%g, then the arguments after them: %s", line(out));
	free(out);

	f = capture_start(&buf, &len, EI_LOG_JSON, EI_LOG_DEBUG);
	ei_log(EI_LOG_INFO, "floats", "ratio=%.1f %s count=%zu id=%016" PRIx64 " pct=%%", 0.5,
	       "x y", (size_t)3, UINT64_C(0xabc));
	out = capture_end(f, &buf);
	obj = json_tokener_parse(out);
	tap_ok(obj && get(obj, "ratio") && !strcmp(get(obj, "ratio"), "0.5") && get(obj, "detail") &&
		       !strcmp(get(obj, "detail"), "x y") && get(obj, "count") &&
		       !strcmp(get(obj, "count"), "3") && get(obj, "id") &&
		       !strcmp(get(obj, "id"), "0000000000000abc") && get(obj, "pct") &&
		       !strcmp(get(obj, "pct"), "%"),
	       "JSON: %%f, a keyless item as detail, %%zu, PRIx64, %%%%: %s", line(out));
	json_object_put(obj);
	free(out);

	f = capture_start(&buf, &len, EI_LOG_JSON, EI_LOG_DEBUG);
	ei_log(EI_LOG_WARN, "decision", "action=%s reason=%s round=%u", "join",
	       "no WAL and \"absent\"", 2u);
	out = capture_end(f, &buf);
	obj = json_tokener_parse(out);
	tap_ok(obj != NULL, "JSON output parses: %s", line(out));
	tap_ok(get(obj, "level") && !strcmp(get(obj, "level"), "warn"), "JSON level");
	tap_ok(get(obj, "msg") && !strcmp(get(obj, "msg"), "decision"), "JSON msg");
	tap_ok(get(obj, "action") && !strcmp(get(obj, "action"), "join"), "JSON key=value");
	tap_ok(get(obj, "reason") && !strcmp(get(obj, "reason"), "no WAL and \"absent\""),
	       "JSON value with quotes, exactly");
	tap_ok(get(obj, "round") && !strcmp(get(obj, "round"), "2"), "JSON value after it");
	json_object_put(obj);
	free(out);

	f = capture_start(&buf, &len, EI_LOG_JSON, EI_LOG_DEBUG);
	ei_log(EI_LOG_INFO, "peer answered", "peer=%s message=%s", "etcd-2", evil);
	out = capture_end(f, &buf);
	obj = json_tokener_parse(out);
	tap_ok(obj && keys(obj) == 5, "JSON: a peer's message adds no field (%zu keys): %s",
	       obj ? keys(obj) : 0, line(out));
	tap_ok(obj && !strcmp(get(obj, "level"), "info") && !strcmp(get(obj, "msg"), "peer answered"),
	       "JSON: a peer cannot change level or msg");
	tap_ok(obj && get(obj, "message") && !strcmp(get(obj, "message"), evil),
	       "JSON: the message is one string, byte for byte");
	json_object_put(obj);
	free(out);

	/* A key named like a reserved field cannot replace it. */
	f = capture_start(&buf, &len, EI_LOG_JSON, EI_LOG_DEBUG);
	ei_log(EI_LOG_INFO, "m", "level=%s", "error");
	out = capture_end(f, &buf);
	obj = json_tokener_parse(out);
	tap_ok(obj && !strcmp(get(obj, "level"), "info") && get(obj, "level_") &&
		       !strcmp(get(obj, "level_"), "error"),
	       "JSON: a context key \"level\" is renamed, not overwriting");
	json_object_put(obj);
	free(out);

	errno = EAGAIN;
	f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
	ei_log(EI_LOG_INFO, "x", NULL);
	out = capture_end(f, &buf);
	tap_ok(errno == EAGAIN, "errno preserved");
	free(out);

	/* The copy (leave's events in the container's log) gets the same line, and only
	 * while it is set. */
	{
		char *cbuf = NULL, *cout;
		size_t clen = 0;
		FILE *copy = open_memstream(&cbuf, &clen);

		f = capture_start(&buf, &len, EI_LOG_TEXT, EI_LOG_INFO);
		ei_log_copy_to(copy);
		ei_log(EI_LOG_INFO, "leave decision", "action=%s", "stay");
		ei_log(EI_LOG_DEBUG, "not printed", NULL);
		ei_log_copy_to(NULL);
		ei_log(EI_LOG_INFO, "after", NULL);
		out = capture_end(f, &buf);
		fclose(copy);
		cout = cbuf;
		tap_ok(strstr(cout, "msg=\"leave decision\" action=stay\n") != NULL,
		       "the copy has the event: %s", line(cout));
		tap_ok(strncmp(out, cout, strlen(cout)) == 0, "the same line in both");
		tap_ok(strstr(out, "after") && !strstr(cout, "after"), "no copy once unset");
		tap_ok(!strstr(cout, "not printed"), "the copy follows the level");
		free(out);
		free(cout);
		buf = NULL;
		len = 0;
	}

	tap_ok(ei_log_format_parse("json", &fmt) && fmt == EI_LOG_JSON, "parse json");
	tap_ok(ei_log_format_parse("text", &fmt) && fmt == EI_LOG_TEXT, "parse text");
	tap_ok(!ei_log_format_parse("yaml", &fmt), "reject yaml");
	return tap_done();
}
