/* log.c - the logger (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

static enum ei_log_format log_format = EI_LOG_TEXT;
static enum ei_log_level log_max = EI_LOG_INFO;
static FILE *log_out;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void ei_log_setup(enum ei_log_format format, enum ei_log_level max_level, FILE *out)
{
	log_format = format;
	log_max = max_level;
	log_out = out;
}

bool ei_log_format_parse(const char *s, enum ei_log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = EI_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = EI_LOG_JSON;
	else
		return false;
	return true;
}

static void format_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/* Split "k=v k2=\"v w\"" into pairs and add them to a JSON object. A token
 * without '=' is added under the key "detail". */
static void kv_to_json(json_object *obj, char *kv)
{
	char *p = kv;

	while (*p) {
		char *key, *val, *end;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		key = p;
		while (*p && *p != '=' && *p != ' ')
			p++;
		if (*p != '=') {
			if (*p)
				*p++ = '\0';
			json_object_object_add(obj, "detail", json_object_new_string(key));
			continue;
		}
		*p++ = '\0';
		if (*p == '"') {
			val = ++p;
			end = val;
			/* Unescape \" and \\ in place. */
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				*end++ = *p++;
			}
			if (*p)
				p++;
			*end = '\0';
		} else {
			val = p;
			while (*p && *p != ' ')
				p++;
			if (*p)
				*p++ = '\0';
		}
		json_object_object_add(obj, key, json_object_new_string(val));
	}
}

static void write_text_msg(FILE *out, const char *msg)
{
	fputs("msg=\"", out);
	for (; *msg; msg++) {
		if (*msg == '"' || *msg == '\\')
			fputc('\\', out);
		fputc(*msg == '\n' ? ' ' : *msg, out);
	}
	fputc('"', out);
}

void ei_log(enum ei_log_level level, const char *msg, const char *kvfmt, ...)
{
	int saved_errno = errno;
	FILE *out = log_out ? log_out : stderr;
	char ts[40];
	char kv[2048] = "";
	va_list ap;

	if (level > log_max) {
		errno = saved_errno;
		return;
	}
	if (kvfmt && *kvfmt) {
		va_start(ap, kvfmt);
		errno = saved_errno; /* so that %m in kvfmt works */
		vsnprintf(kv, sizeof(kv), kvfmt, ap);
		va_end(ap);
	}
	format_timestamp(ts, sizeof(ts));

	if (log_format == EI_LOG_JSON) {
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ts", json_object_new_string(ts));
		json_object_object_add(obj, "level", json_object_new_string(level_names[level]));
		json_object_object_add(obj, "msg", json_object_new_string(msg));
		kv_to_json(obj, kv);
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	} else {
		fprintf(out, "ts=%s level=%s ", ts, level_names[level]);
		write_text_msg(out, msg);
		if (kv[0])
			fprintf(out, " %s", kv);
		fputc('\n', out);
	}
	fflush(out);
	errno = saved_errno;
}
