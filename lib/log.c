/* log.c - the logger (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>

#define LOG_MAX_PAIRS 16
#define LOG_VALUE_MAX 1024

static enum ei_log_format log_format = EI_LOG_TEXT;
static enum ei_log_level log_max = EI_LOG_INFO;
static FILE *log_out;
static FILE *log_copy;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void ei_log_setup(enum ei_log_format format, enum ei_log_level max_level, FILE *out)
{
	log_format = format;
	log_max = max_level;
	log_out = out;
}

void ei_log_copy_to(FILE *copy)
{
	log_copy = copy;
}

bool ei_log_enabled(enum ei_log_level level)
{
	return level <= log_max;
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

struct pair {
	char key[32];
	char value[LOG_VALUE_MAX];
};

/* A bounded string being filled. */
struct out {
	char *buf;
	size_t cap, len;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->len + 1 >= o->cap)
		return;
	if (n > o->cap - 1 - o->len)
		n = o->cap - 1 - o->len;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Format one printf conversion starting at *p (which points at '%'), taking its
 * argument from ap with the type the conversion names, and append it. The
 * compiler has checked the whole format against the arguments (log.h), so the
 * types read here are the types passed. Integers are widened to [u]intmax_t and
 * printed with the 'j' modifier; everything else keeps its spec. */
/* The spec passed to snprintf is one conversion cut out of a format the compiler
 * checked at the call site (log.h's format attribute), so it is not a literal here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static const char *format_conversion(const char *p, va_list *ap, struct out *o, int saved_errno)
{
	char spec[32], tmp[LOG_VALUE_MAX];
	size_t n = 0;
	int len_mod = 0; /* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't' */
	const char *start = p;
	int w = 0;

	spec[n++] = *p++;
	while (*p && strchr("-+ #0'", *p) && n < sizeof(spec) - 8)
		spec[n++] = *p++;
	for (int part = 0; part < 2; part++) {
		if (part == 1) {
			if (*p != '.')
				break;
			spec[n++] = *p++;
		}
		if (*p == '*') {
			/* The width or precision comes as an int argument. */
			w = va_arg(*ap, int);
			n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%d", w);
			p++;
		} else {
			while (*p >= '0' && *p <= '9' && n < sizeof(spec) - 8)
				spec[n++] = *p++;
		}
	}
	if (p[0] == 'h' && p[1] == 'h') {
		len_mod = 'H';
		p += 2;
	} else if (p[0] == 'l' && p[1] == 'l') {
		len_mod = 'L';
		p += 2;
	} else if (*p && strchr("hlzjt", *p)) {
		len_mod = *p++;
	}
	tmp[0] = '\0';
	switch (*p) {
	case 'd':
	case 'i': {
		intmax_t v;

		switch (len_mod) {
		case 'l': v = va_arg(*ap, long); break;
		case 'L': v = va_arg(*ap, long long); break;
		case 'z': v = va_arg(*ap, ssize_t); break;
		case 'j': v = va_arg(*ap, intmax_t); break;
		case 't': v = va_arg(*ap, ptrdiff_t); break;
		default: v = va_arg(*ap, int); break;
		}
		spec[n++] = 'j';
		spec[n++] = *p;
		spec[n] = '\0';
		snprintf(tmp, sizeof(tmp), spec, v);
		break;
	}
	case 'u':
	case 'o':
	case 'x':
	case 'X': {
		uintmax_t v;

		switch (len_mod) {
		case 'l': v = va_arg(*ap, unsigned long); break;
		case 'L': v = va_arg(*ap, unsigned long long); break;
		case 'z': v = va_arg(*ap, size_t); break;
		case 'j': v = va_arg(*ap, uintmax_t); break;
		case 't': v = (uintmax_t)va_arg(*ap, ptrdiff_t); break;
		default: v = va_arg(*ap, unsigned int); break;
		}
		spec[n++] = 'j';
		spec[n++] = *p;
		spec[n] = '\0';
		snprintf(tmp, sizeof(tmp), spec, v);
		break;
	}
	case 'c':
		spec[n++] = 'c';
		spec[n] = '\0';
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, int));
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);

		spec[n++] = 's';
		spec[n] = '\0';
		snprintf(tmp, sizeof(tmp), spec, s ? s : "(null)");
		break;
	}
	case 'p':
		snprintf(tmp, sizeof(tmp), "%p", va_arg(*ap, void *));
		break;
	case 'm':
		snprintf(tmp, sizeof(tmp), "%s", strerror(saved_errno));
		break;
	case '%':
		snprintf(tmp, sizeof(tmp), "%%");
		break;
	default:
		/* Not a conversion we know: print it as it stands (cannot happen with
		 * a format the compiler accepted, except for exotic ones). */
		out_add(o, start, (size_t)(p - start) + (*p ? 1 : 0));
		return *p ? p + 1 : p;
	}
	out_add(o, tmp, strlen(tmp));
	return p + 1;
}
#pragma GCC diagnostic pop

/* Split kvfmt into pairs, formatting each value on its own (log.h). */
static size_t format_pairs(struct pair *pairs, size_t max, const char *kvfmt, va_list *ap,
			   int saved_errno)
{
	const char *p = kvfmt;
	size_t n = 0;

	while (p && *p) {
		struct pair scratch, *pr = n < max ? &pairs[n] : &scratch;
		struct out o = { pr->value, sizeof(pr->value), 0 };
		size_t k = 0;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		/* The key: literal up to '=' (a token without '=' becomes "detail"). */
		while (*p && *p != '=' && *p != ' ' && *p != '%' && k < sizeof(pr->key) - 1)
			pr->key[k++] = *p++;
		pr->key[k] = '\0';
		pr->value[0] = '\0';
		if (*p == '=') {
			p++;
		} else {
			/* No key: the token itself is the value. */
			o.len = 0;
			out_add(&o, pr->key, k);
			snprintf(pr->key, sizeof(pr->key), "detail");
		}
		while (*p && *p != ' ') {
			if (*p == '%')
				p = format_conversion(p, ap, &o, saved_errno);
			else
				out_add(&o, p++, 1);
		}
		if (n < max)
			n++;
	}
	return n;
}

/* logfmt value: bare when it is a plain token, else quoted with \" \\ \n \r \t
 * escaped and other control characters as \xNN. */
static void write_text_value(FILE *out, const char *v)
{
	bool plain = *v != '\0';

	for (const char *c = v; *c && plain; c++) {
		unsigned char ch = (unsigned char)*c;

		plain = ch > 0x20 && ch != 0x7f && ch != '"' && ch != '=' && ch != '\\';
	}
	if (plain) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (const char *c = v; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\r')
			fputs("\\r", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* A context key never replaces ts, level or msg. */
static const char *json_key(const char *key, char *buf, size_t len)
{
	if (strcmp(key, "ts") == 0 || strcmp(key, "level") == 0 || strcmp(key, "msg") == 0) {
		snprintf(buf, len, "%s_", key);
		return buf;
	}
	return key;
}

/* One event, formatted, to one stream. */
static void write_event(FILE *out, const char *ts, enum ei_log_level level, const char *msg,
			const struct pair *pairs, size_t n)
{
	if (log_format == EI_LOG_JSON) {
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ts", json_object_new_string(ts));
		json_object_object_add(obj, "level", json_object_new_string(level_names[level]));
		json_object_object_add(obj, "msg", json_object_new_string(msg ? msg : ""));
		for (size_t i = 0; i < n; i++) {
			char key[40];

			json_object_object_add(obj, json_key(pairs[i].key, key, sizeof(key)),
					       json_object_new_string(pairs[i].value));
		}
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	} else {
		fprintf(out, "ts=%s level=%s msg=", ts, level_names[level]);
		/* msg is always quoted, as before, so that grep 'msg="x"' works. */
		if (msg && strpbrk(msg, " \"\\=") == NULL && *msg)
			fprintf(out, "\"%s\"", msg);
		else
			write_text_value(out, msg ? msg : "");
		for (size_t i = 0; i < n; i++) {
			fprintf(out, " %s=", pairs[i].key);
			write_text_value(out, pairs[i].value);
		}
		fputc('\n', out);
	}
	fflush(out);
}

void ei_log(enum ei_log_level level, const char *msg, const char *kvfmt, ...)
{
	static struct pair pairs[LOG_MAX_PAIRS];
	int saved_errno = errno;
	size_t n = 0;
	char ts[40];
	va_list ap;

	if (level > log_max) {
		errno = saved_errno;
		return;
	}
	if (kvfmt && *kvfmt) {
		va_start(ap, kvfmt);
		n = format_pairs(pairs, LOG_MAX_PAIRS, kvfmt, &ap, saved_errno);
		va_end(ap);
	}
	format_timestamp(ts, sizeof(ts));
	write_event(log_out ? log_out : stderr, ts, level, msg, pairs, n);
	if (log_copy)
		write_event(log_copy, ts, level, msg, pairs, n);
	errno = saved_errno;
}
