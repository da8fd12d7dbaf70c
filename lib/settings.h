/* settings.h - a table of settings, each described once: its flag, its environment
 * fallbacks, its kind, bounds and default, and its --help line (curl's
 * src/tool_getparam.c aliases[] is the model). From the table come getopt_long's
 * option array, the environment fallbacks (the flag wins), the checked parse of each
 * value into its field, the generic error messages and the options part of --help.
 * Checks that involve several settings are not rows: the caller (config.c) makes
 * them on the raw values this module collects. Pure: no I/O but the FILE given to
 * ei_settings_usage. */
#ifndef EI_SETTINGS_H
#define EI_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum ei_setting_kind {
	EI_SETTING_RAW,      /* kept as given, for a named check of the caller */
	EI_SETTING_STRING,   /* copied into a char array (too long: refused) */
	EI_SETTING_PATH,     /* a STRING that must be an absolute path */
	EI_SETTING_UINT,     /* a decimal in [min, max], into an unsigned or a long */
	EI_SETTING_DURATION, /* ei_parse_duration's seconds, into an unsigned */
	EI_SETTING_ENUM,     /* one of names[], its index into an enum (size 0: only checked) */
	EI_SETTING_SWITCH,   /* no value: sets a bool */
	EI_SETTING_COMMAND,  /* no value: sets the command field to `command` */
};

/* One row. The field it fills is dest + offset, of `size` bytes (0: none). */
struct ei_setting {
	const char *flag;         /* long option without "--"; NULL: environment only */
	char short_flag;          /* e.g. 'h'; 0: none */
	const char *env[3];       /* up to two fallbacks, in the order tried; NULL-ended */
	enum ei_setting_kind kind;
	size_t offset, size;
	unsigned long min, max;   /* UINT bounds */
	const char *noun;         /* UINT, ENUM: "port" in '"0" is not a port (expected 1-65535)' */
	const char *const *names; /* ENUM: the accepted values, NULL-ended; index = value */
	const char *zero;         /* DURATION: what 0 does, "waits forever" */
	const char *def;          /* the default, parsed like a value by ei_settings_defaults */
	int command;              /* COMMAND: the value it stores */
	bool stop;                /* COMMAND: parsing ends here (--help, --version) */
	/* --help: the value's placeholder (ENUM: NULL gives "a|b"), and the text, lines
	 * separated by '\n', where %e is "[ENV, ...]", %d is "(default)" and %n the
	 * names as "a, b or c". help NULL: not listed. */
	const char *arg, *help;
};

/* Where a raw value came from. */
enum ei_setting_from { EI_FROM_NONE, EI_FROM_FLAG, EI_FROM_ENV };

struct ei_setting_value {
	const char *value; /* borrowed from argv or the environment; NULL: unset */
	enum ei_setting_from from;
	const char *env;   /* EI_FROM_ENV: which variable */
};

/* getopt_long over argv with the table's flags ('+': it stops at the first operand).
 * Values go to vals[i] for rows[i]; SWITCH and COMMAND rows write their field at
 * once. Returns the index of the first operand (0 when a `stop` row was met), or
 * EI_E_USAGE for an unknown option or a missing value. */
int ei_settings_getopt(const struct ei_setting *rows, size_t n, struct ei_setting_value *vals,
		       void *dest, int argc, char **argv, struct ei_err *err);

/* For each row without a value: its first variable that is set and not empty. */
void ei_settings_env(const struct ei_setting *rows, size_t n, struct ei_setting_value *vals,
		     char **envp);

/* Each row's default into its field (before the values: ei_settings_apply then
 * overwrites the ones set). Returns 0, or EI_E_USAGE for a default its row refuses. */
int ei_settings_defaults(const struct ei_setting *rows, size_t n, void *dest, struct ei_err *err);

/* Parse and check each row that has a value into its field, in table order (RAW,
 * SWITCH and COMMAND rows are skipped). Returns 0, or EI_E_USAGE naming the setting,
 * the value and what is expected. */
int ei_settings_apply(const struct ei_setting *rows, size_t n,
		      const struct ei_setting_value *vals, void *dest, struct ei_err *err);

/* The name messages give a row: "--data-dir/ETCD_DATA_DIR", "--client-port", or the
 * variable of an environment-only row. */
void ei_setting_label(const struct ei_setting *row, char *buf, size_t len);

/* Where the value was given, by name: "--auth-user" or "ETCDCTL_USER". */
const char *ei_setting_given_as(const struct ei_setting *row, const struct ei_setting_value *val,
				char *buf, size_t len);

/* Copy value into dst[len]; EI_E_USAGE "<label>: value is too long" when it does not fit. */
int ei_setting_copy(char *dst, size_t len, const char *value, const char *label,
		    struct ei_err *err);

/* The options part of --help: one entry a row with help, the text in column 27. */
void ei_settings_usage(const struct ei_setting *rows, size_t n, FILE *out);

/* One --help entry in the same layout: "  head", text in column 27, text's lines
 * ('\n') continued in that column. */
void ei_settings_usage_entry(FILE *out, const char *head, const char *text);

/* "a, b or c" for words a, b, c (n of them) into buf; sep_last " or ". */
void ei_settings_join(const char *const *words, size_t n, const char *sep, const char *sep_last,
		      char *buf, size_t len);

/* Look up NAME in envp ("NAME=value"); NULL when absent. */
const char *ei_env_get(char **envp, const char *name);

/* Parse a duration "90", "90s", "10m", "1h" into seconds (<= 7 days). */
bool ei_parse_duration(const char *s, unsigned *seconds);

/* Parse a decimal unsigned integer in [min, max]; no sign, no junk, no overflow. */
bool ei_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
