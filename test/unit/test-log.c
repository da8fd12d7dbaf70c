/* Unit tests for lib/log.c: one line per event, logfmt or JSON, errno preserved. */
#include "log.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>

#include <json-c/json.h>

/* Log one event into a string. */
static char *capture(enum ei_log_format format, enum ei_log_level max, enum ei_log_level level,
		     const char *msg, const char *kv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ei_log_setup(format, max, f);
	ei_log(level, msg, "%s", kv);
	fclose(f);
	ei_log_setup(EI_LOG_TEXT, EI_LOG_INFO, NULL);
	return buf;
}

int main(void)
{
	enum ei_log_format fmt;
	json_object *obj, *v;
	char *out;

	tap_init();
	out = capture(EI_LOG_TEXT, EI_LOG_INFO, EI_LOG_INFO, "waiting for DNS",
		      "name=etcd-0.x attempt=3");
	tap_ok(strncmp(out, "ts=", 3) == 0, "text starts with the timestamp");
	tap_ok(strstr(out, " level=info msg=\"waiting for DNS\" name=etcd-0.x attempt=3\n") != NULL,
	       "text: level, quoted msg, context: %s", out);
	tap_ok(strchr(out, '\n') == out + strlen(out) - 1, "exactly one line");
	free(out);

	out = capture(EI_LOG_TEXT, EI_LOG_INFO, EI_LOG_INFO, "say \"hi\"\nthere", "");
	tap_ok(strstr(out, "msg=\"say \\\"hi\\\" there\"\n") != NULL,
	       "quotes escaped, newline flattened: %s", out);
	free(out);

	out = capture(EI_LOG_TEXT, EI_LOG_INFO, EI_LOG_DEBUG, "hidden", "");
	tap_ok(out && out[0] == '\0', "debug is filtered at info");
	free(out);

	out = capture(EI_LOG_JSON, EI_LOG_DEBUG, EI_LOG_WARN, "decision",
		      "action=join reason=\"no WAL and \\\"absent\\\"\" round=2 stray");
	obj = json_tokener_parse(out);
	tap_ok(obj != NULL, "JSON output parses: %s", out);
	tap_ok(json_object_object_get_ex(obj, "level", &v) &&
		       strcmp(json_object_get_string(v), "warn") == 0,
	       "JSON level");
	tap_ok(json_object_object_get_ex(obj, "msg", &v) &&
		       strcmp(json_object_get_string(v), "decision") == 0,
	       "JSON msg");
	tap_ok(json_object_object_get_ex(obj, "action", &v) &&
		       strcmp(json_object_get_string(v), "join") == 0,
	       "JSON key=value");
	tap_ok(json_object_object_get_ex(obj, "reason", &v) &&
		       strcmp(json_object_get_string(v), "no WAL and \"absent\"") == 0,
	       "JSON quoted value unescaped");
	tap_ok(json_object_object_get_ex(obj, "round", &v) &&
		       strcmp(json_object_get_string(v), "2") == 0,
	       "JSON value after a quoted one");
	tap_ok(json_object_object_get_ex(obj, "detail", &v) &&
		       strcmp(json_object_get_string(v), "stray") == 0,
	       "a token without = goes to detail");
	json_object_put(obj);
	free(out);

	errno = EAGAIN;
	out = capture(EI_LOG_TEXT, EI_LOG_INFO, EI_LOG_INFO, "x", "");
	tap_ok(errno == EAGAIN, "errno preserved");
	free(out);

	tap_ok(ei_log_format_parse("json", &fmt) && fmt == EI_LOG_JSON, "parse json");
	tap_ok(ei_log_format_parse("text", &fmt) && fmt == EI_LOG_TEXT, "parse text");
	tap_ok(!ei_log_format_parse("yaml", &fmt), "reject yaml");
	return tap_done();
}
