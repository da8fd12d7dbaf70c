/* log.h - one logger: stderr, one event a line, text (logfmt) or JSON.
 *
 * An event is a fixed message plus key=value context:
 *     ei_log(EI_LOG_INFO, "waiting for DNS", "name=%s attempt=%u", name, n);
 * prints (text)  ts=... level=info msg="waiting for DNS" name=etcd-0... attempt=3
 * or     (json)  {"ts":"...","level":"info","msg":"waiting for DNS","name":"etcd-0...","attempt":"3"}
 *
 * kvfmt is a printf format (checked by the compiler) made of items "key=<value template>"
 * separated by single spaces. Keys are literal [a-z0-9_]; a value template is literal text
 * with printf conversions ("%s", "SIG%s", "%" PRIx64, "%.1f"). vsnprintf formats kvfmt with
 * its arguments; the items are cut where the format's items end (the length of the output
 * of the format up to each end), never by looking for spaces or '=' in the output, so a
 * value, whatever it holds (a peer's error message with quotes, '=' or newlines in it),
 * is exactly one field: the text format quotes and escapes it, JSON makes it one string
 * (json-c escapes it). No value can add or change a field. Values must not be quoted in
 * kvfmt. An item with no "key=" is the value of "detail".
 * The logger owns the newline and preserves errno (after catatonit's _log). */
#ifndef EI_LOG_H
#define EI_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum ei_log_level { EI_LOG_ERROR, EI_LOG_WARN, EI_LOG_INFO, EI_LOG_DEBUG };
enum ei_log_format { EI_LOG_TEXT, EI_LOG_JSON };

/* Set the format, the most verbose level printed, and the stream (NULL = stderr).
 * Not thread-safe; call once from main before logging. */
void ei_log_setup(enum ei_log_format format, enum ei_log_level max_level, FILE *out);

/* Also write every event to copy (NULL: no copy), in the same format: leave sends its
 * events to the container's log too (cmd/main.c). Not thread-safe; call from main. */
void ei_log_copy_to(FILE *copy);

/* Log one event. kvfmt may be NULL or "" for no context. msg may hold anything
 * (it is quoted and escaped like a value). */
void ei_log(enum ei_log_level level, const char *msg, const char *kvfmt, ...)
	__attribute__((format(printf, 3, 4)));

/* true when an event of this level would be printed. */
bool ei_log_enabled(enum ei_log_level level);

/* Parse "text"/"json"; returns false on anything else. */
bool ei_log_format_parse(const char *s, enum ei_log_format *out);

#define ei_log_error(msg, ...) ei_log(EI_LOG_ERROR, msg, __VA_ARGS__)
#define ei_log_warn(msg, ...) ei_log(EI_LOG_WARN, msg, __VA_ARGS__)
#define ei_log_info(msg, ...) ei_log(EI_LOG_INFO, msg, __VA_ARGS__)
#define ei_log_debug(msg, ...) ei_log(EI_LOG_DEBUG, msg, __VA_ARGS__)

#endif
