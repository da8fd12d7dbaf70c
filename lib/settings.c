/* settings.c - the machinery of a settings table (see settings.h). */
#include "settings.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Enough for config.c's table; ei_settings_getopt refuses a longer one. */
#define SETTINGS_MAX 48
/* getopt_long values of the rows without a short flag: OPT_BASE + row index. */
#define OPT_BASE 256
/* --help: the column where the help text starts (0-based). */
#define HELP_COLUMN 26

const char *ei_env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (char **e = envp; e && *e; e++) {
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	}
	return NULL;
}

bool ei_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool ei_parse_duration(const char *s, unsigned *seconds)
{
	char num[32];
	size_t n = strlen(s);
	unsigned long mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's':
		num[--n] = '\0';
		break;
	case 'm':
		mult = 60;
		num[--n] = '\0';
		break;
	case 'h':
		mult = 3600;
		num[--n] = '\0';
		break;
	default:
		break;
	}
	if (!ei_parse_uint(num, 0, 7ul * 24 * 3600, &v) || v * mult > 7ul * 24 * 3600)
		return false;
	*seconds = (unsigned)(v * mult);
	return true;
}

void ei_settings_join(const char *const *words, size_t n, const char *sep, const char *sep_last,
		      char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *before = i == 0 ? "" : i + 1 == n ? sep_last : sep;
		int w = snprintf(buf + used, len - used, "%s%s", before, words[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static size_t count_names(const char *const *names)
{
	size_t n = 0;

	while (names && names[n])
		n++;
	return n;
}

static bool takes_value(const struct ei_setting *row)
{
	return row->kind != EI_SETTING_SWITCH && row->kind != EI_SETTING_COMMAND;
}

void ei_setting_label(const struct ei_setting *row, char *buf, size_t len)
{
	if (row->flag && row->env[0])
		snprintf(buf, len, "--%s/%s", row->flag, row->env[0]);
	else if (row->flag)
		snprintf(buf, len, "--%s", row->flag);
	else
		snprintf(buf, len, "%s", row->env[0] ? row->env[0] : "?");
}

const char *ei_setting_given_as(const struct ei_setting *row, const struct ei_setting_value *val,
				char *buf, size_t len)
{
	switch (val->from) {
	case EI_FROM_FLAG:
		snprintf(buf, len, "--%s", row->flag);
		return buf;
	case EI_FROM_ENV:
		return val->env;
	case EI_FROM_NONE:
	default:
		return NULL;
	}
}

int ei_setting_copy(char *dst, size_t len, const char *value, const char *label,
		    struct ei_err *err)
{
	if (strlen(value) >= len)
		return ei_err_set(err, EI_E_USAGE, "%s: value is too long (at most %zu characters)",
				  label, len - 1);
	strcpy(dst, value);
	return 0;
}

/* A number into the row's field: an unsigned, a long, a bool, or an enum (whose
 * size, with GCC and Clang, is an unsigned's; config.c asserts it). */
static void store(void *dest, const struct ei_setting *row, unsigned long v)
{
	char *p = (char *)dest + row->offset;

	if (row->size == sizeof(long)) {
		long l = (long)v;

		memcpy(p, &l, sizeof(l));
	} else if (row->size == sizeof(unsigned)) {
		unsigned u = (unsigned)v;

		memcpy(p, &u, sizeof(u));
	} else if (row->size == sizeof(bool)) {
		bool b = v != 0;

		memcpy(p, &b, sizeof(b));
	}
}

static void build_options(const struct ei_setting *rows, size_t n, struct option *opts,
			  char *shorts, size_t shorts_len)
{
	size_t k = 0, s = 0;

	/* '+': stop at the first non-option; ':' in front keeps getopt quiet. */
	shorts[s++] = '+';
	shorts[s++] = ':';
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].flag)
			continue;
		opts[k].name = rows[i].flag;
		opts[k].has_arg = takes_value(&rows[i]) ? required_argument : no_argument;
		opts[k].flag = NULL;
		opts[k].val = rows[i].short_flag ? rows[i].short_flag : OPT_BASE + (int)i;
		k++;
		if (rows[i].short_flag && s + 3 < shorts_len) {
			shorts[s++] = rows[i].short_flag;
			if (takes_value(&rows[i]))
				shorts[s++] = ':';
		}
	}
	memset(&opts[k], 0, sizeof(opts[k]));
	shorts[s] = '\0';
}

/* The row getopt_long's c stands for, or -1. */
static long row_of(const struct ei_setting *rows, size_t n, int c)
{
	if (c >= OPT_BASE && (size_t)(c - OPT_BASE) < n)
		return c - OPT_BASE;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].short_flag && rows[i].short_flag == c)
			return (long)i;
	}
	return -1;
}

int ei_settings_getopt(const struct ei_setting *rows, size_t n, struct ei_setting_value *vals,
		       void *dest, int argc, char **argv, struct ei_err *err)
{
	struct option opts[SETTINGS_MAX + 1];
	char shorts[2 * SETTINGS_MAX + 3];
	long i;
	int c;

	if (n > SETTINGS_MAX)
		return ei_err_set(err, EI_E_USAGE, "%zu settings: at most %d", n, SETTINGS_MAX);
	build_options(rows, n, opts, shorts, sizeof(shorts));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (c == ':')
			return ei_err_set(err, EI_E_USAGE, "%s: a value is required (see --help)",
					  argv[optind - 1]);
		i = row_of(rows, n, c);
		if (i < 0)
			return ei_err_set(err, EI_E_USAGE, "%s: unknown option (see --help)",
					  argv[optind - 1]);
		if (rows[i].kind == EI_SETTING_SWITCH)
			store(dest, &rows[i], 1);
		else if (rows[i].kind == EI_SETTING_COMMAND)
			store(dest, &rows[i], (unsigned long)rows[i].command);
		vals[i].value = takes_value(&rows[i]) ? optarg : "true";
		vals[i].from = EI_FROM_FLAG;
		if (rows[i].stop)
			return 0;
	}
	return optind;
}

/* An environment fallback: set and not empty (etcd ignores empty values too). */
void ei_settings_env(const struct ei_setting *rows, size_t n, struct ei_setting_value *vals,
		     char **envp)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t e = 0; !vals[i].value && e < 3 && rows[i].env[e]; e++) {
			const char *v = ei_env_get(envp, rows[i].env[e]);

			if (v && *v) {
				vals[i].value = v;
				vals[i].from = EI_FROM_ENV;
				vals[i].env = rows[i].env[e];
			}
		}
	}
}

static int apply_enum(const struct ei_setting *row, const char *value, const char *label,
		      void *dest, struct ei_err *err)
{
	size_t n = count_names(row->names);
	char expected[256];

	for (size_t i = 0; i < n; i++) {
		if (strcmp(value, row->names[i]) == 0) {
			store(dest, row, i);
			return 0;
		}
	}
	ei_settings_join(row->names, n, ", ", " or ", expected, sizeof(expected));
	return ei_err_set(err, EI_E_USAGE, "%s: \"%s\" is not a %s (expected %s)", label, value,
			  row->noun, expected);
}

static int apply_one(const struct ei_setting *row, const char *value, void *dest,
		     struct ei_err *err)
{
	char label[96];
	unsigned long v;
	unsigned s;
	int r;

	ei_setting_label(row, label, sizeof(label));
	switch (row->kind) {
	case EI_SETTING_STRING:
	case EI_SETTING_PATH:
		r = ei_setting_copy((char *)dest + row->offset, row->size, value, label, err);
		if (r == 0 && row->kind == EI_SETTING_PATH && value[0] != '/')
			r = ei_err_set(err, EI_E_USAGE, "%s: \"%s\" is not an absolute path", label,
				       value);
		return r;
	case EI_SETTING_UINT:
		if (!ei_parse_uint(value, row->min, row->max, &v))
			return ei_err_set(err, EI_E_USAGE, "%s: \"%s\" is not a %s (expected %lu-%lu)", label, value, row->noun, row->min, row->max);
		store(dest, row, v);
		return 0;
	case EI_SETTING_DURATION:
		if (!ei_parse_duration(value, &s))
			return ei_err_set(err, EI_E_USAGE, "%s: \"%s\" is not a duration (expected seconds, or a number with s, m or h, at most 7 days; 0 %s)", label, value, row->zero);
		store(dest, row, s);
		return 0;
	case EI_SETTING_ENUM:
		return apply_enum(row, value, label, dest, err);
	case EI_SETTING_RAW:
	case EI_SETTING_SWITCH:
	case EI_SETTING_COMMAND:
	default:
		return 0;
	}
}

int ei_settings_defaults(const struct ei_setting *rows, size_t n, void *dest, struct ei_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = rows[i].def ? apply_one(&rows[i], rows[i].def, dest, err) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

int ei_settings_apply(const struct ei_setting *rows, size_t n,
		      const struct ei_setting_value *vals, void *dest, struct ei_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = vals[i].value ? apply_one(&rows[i], vals[i].value, dest, err) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

/* A help text, with a row's placeholders filled in (row NULL: none). */
static void print_help_text(const char *text, const struct ei_setting *row, FILE *out)
{
	char buf[256];

	for (const char *h = text; *h; h++) {
		if (*h == '\n') {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
		} else if (row && h[0] == '%' && h[1] == 'e') {
			ei_settings_join(row->env, count_names(row->env), ", ", ", ", buf,
					 sizeof(buf));
			fprintf(out, "[%s]", buf);
			h++;
		} else if (row && h[0] == '%' && h[1] == 'd') {
			fprintf(out, "(%s)", row->def ? row->def : "");
			h++;
		} else if (row && h[0] == '%' && h[1] == 'n') {
			ei_settings_join(row->names, count_names(row->names), ", ", " or ", buf,
					 sizeof(buf));
			fputs(buf, out);
			h++;
		} else {
			fputc(*h, out);
		}
	}
	fputc('\n', out);
}

static void print_entry(FILE *out, const char *head, const char *text,
			const struct ei_setting *row)
{
	int col = fprintf(out, "  %s", head);

	/* The text starts in its column, or two spaces after a long head. */
	fprintf(out, "%*s", col < HELP_COLUMN ? HELP_COLUMN - col : 2, "");
	print_help_text(text, row, out);
}

void ei_settings_usage_entry(FILE *out, const char *head, const char *text)
{
	print_entry(out, head, text, NULL);
}

void ei_settings_usage(const struct ei_setting *rows, size_t n, FILE *out)
{
	char names[128], head[192];

	for (size_t i = 0; i < n; i++) {
		const struct ei_setting *row = &rows[i];
		const char *arg = row->arg;

		if (!row->help || !row->flag)
			continue;
		if (!arg && row->kind == EI_SETTING_ENUM) {
			ei_settings_join(row->names, count_names(row->names), "|", "|", names,
					 sizeof(names));
			arg = names;
		}
		snprintf(head, sizeof(head), "--%s%s%s", row->flag, arg ? " " : "", arg ? arg : "");
		print_entry(out, head, row->help, row);
	}
}
