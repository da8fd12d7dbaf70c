/* log.c - the logger (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#define LOG_MAX_PAIRS 16
#define LOG_KEY_MAX 32
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
	char key[LOG_KEY_MAX];
	char value[LOG_VALUE_MAX];
};

/* The length of the printf conversion at p (p[0] == '%'): flags, field width, precision,
 * length modifier, conversion specifier, in the order printf(3) "Format of the format
 * string" gives them. Only stepped over, never read: vsnprintf reads the arguments. */
static size_t conversion_length(const char *p)
{
	size_t n = 1;

	n += strspn(p + n, "-+ #0'");
	n += strspn(p + n, "0123456789*");
	if (p[n] == '.') {
		n++;
		n += strspn(p + n, "0123456789*");
	}
	n += strspn(p + n, "hlLqjzt");
	return p[n] ? n + 1 : n;
}

/* One item "key=<value template>" of kvfmt, as offsets into kvfmt. */
struct item {
	size_t start, end; /* the item is kvfmt[start, end) */
	size_t key_len;	   /* the key is kvfmt[start, start + key_len), when has_key */
	bool has_key;	   /* else the whole item is the value of "detail" */
};

/* Cut kvfmt into its items: separated by spaces of the literal text (a space inside a
 * conversion, "% d", is a flag). Returns how many, at most max. */
static size_t split_items(const char *kvfmt, struct item *items, size_t max)
{
	const char *p = kvfmt;
	size_t n = 0;

	while (*p && n < max) {
		struct item *it = &items[n];

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		it->start = (size_t)(p - kvfmt);
		/* The key: literal up to '=' (a token without '=' becomes "detail"). */
		it->key_len = strcspn(p, "= %");
		it->has_key = p[it->key_len] == '=' && it->key_len < LOG_KEY_MAX;
		while (*p && *p != ' ')
			p += *p == '%' ? conversion_length(p) : 1;
		it->end = (size_t)(p - kvfmt);
		n++;
	}
	return n;
}

/* How long vsnprintf's output for the first len bytes of the format fmt is (fmt is a
 * writable copy of the caller's format; restored). Negative if vsnprintf fails.
 * fmt, cut at the end of an item, is a prefix of a format the compiler checked at the
 * call site (log.h's format attribute), so it is not a literal here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int formatted_length(char *fmt, size_t len, va_list ap, int saved_errno)
{
	char cut = fmt[len];
	va_list aq;
	int n;

	fmt[len] = '\0';
	va_copy(aq, ap);
	errno = saved_errno; /* for %m */
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	fmt[len] = cut;
	return n;
}
#pragma GCC diagnostic pop

/* Fill pair from item it, whose output is text[from, to). */
static void fill_pair(struct pair *pair, const char *kvfmt, const struct item *it,
		      const char *text, size_t from, size_t to)
{
	size_t n;

	if (it->has_key) {
		memcpy(pair->key, kvfmt + it->start, it->key_len);
		pair->key[it->key_len] = '\0';
		from += it->key_len + 1;
	} else {
		snprintf(pair->key, sizeof(pair->key), "detail");
	}
	n = to - from;
	if (n > sizeof(pair->value) - 1)
		n = sizeof(pair->value) - 1;
	memcpy(pair->value, text + from, n);
	pair->value[n] = '\0';
}

/* Format kvfmt with its arguments by vsnprintf, once, and cut the text into pairs where the
 * items of the format end: an item's end in the text is the length of the output of the
 * format up to there, so a value holding spaces, '=' or quotes is still one value (log.h). */
__attribute__((format(printf, 3, 0))) static size_t
format_pairs(struct pair *pairs, size_t max, const char *kvfmt, va_list ap, int saved_errno)
{
	struct item items[LOG_MAX_PAIRS];
	size_t n = split_items(kvfmt, items, max < LOG_MAX_PAIRS ? max : LOG_MAX_PAIRS);
	char *fmt = strdup(kvfmt), *text = NULL;
	int total = fmt ? formatted_length(fmt, strlen(fmt), ap, saved_errno) : -1;
	size_t at = 0, done = 0;
	va_list aq;

	if (total < 0 || !(text = malloc((size_t)total + 1)))
		goto out;
	va_copy(aq, ap);
	errno = saved_errno;
	vsnprintf(text, (size_t)total + 1, kvfmt, aq);
	va_end(aq);
	for (; done < n; done++) {
		/* Between two items there are literal spaces only, as many in the text. */
		size_t from = at + items[done].start - (done ? items[done - 1].end : 0);
		int to = formatted_length(fmt, items[done].end, ap, saved_errno);

		if (to < 0 || to > total || (size_t)to < from)
			break;
		fill_pair(&pairs[done], kvfmt, &items[done], text, from, (size_t)to);
		at = (size_t)to;
	}
out:
	free(text);
	free(fmt);
	return done;
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
		n = format_pairs(pairs, LOG_MAX_PAIRS, kvfmt, ap, saved_errno);
		va_end(ap);
	}
	format_timestamp(ts, sizeof(ts));
	write_event(log_out ? log_out : stderr, ts, level, msg, pairs, n);
	if (log_copy)
		write_event(log_copy, ts, level, msg, pairs, n);
	errno = saved_errno;
}
