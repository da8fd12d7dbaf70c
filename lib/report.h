/* report.h - what `plan` prints: the evidence, the decision with its reason and the
 * exact etcd command line, as text or as one JSON object. */
#ifndef EI_REPORT_H
#define EI_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "config.h"
#include "flags.h"
#include "gather.h"
#include "plan.h"

/* One question's outcome as JSON: {"outcome", "url", "detail"} (url and detail when it
 * was asked); `plan` and `diagnose` print it alike. A new reference. */
json_object *ei_report_answer_json(const struct ei_answer *a);

/* The set's size as `plan` and `diagnose` print it: "3 (--replicas)", or "unknown (...):
 * the initial size 3 stands in". Into buf. */
void ei_report_set_size(const struct ei_config *cfg, const struct ei_facts *f, char *buf,
			size_t len);

/* cmd may be NULL when no command line could be made (wait, refuse, rejoin...). */
void ei_report_print(FILE *out, const struct ei_config *cfg, const struct ei_gather *g,
		     const struct ei_facts *facts, const struct ei_plan *plan,
		     const struct ei_etcd_command *cmd);

#endif
