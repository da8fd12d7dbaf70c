/* diagprint.h - what `etcd-init diagnose` prints (pure: writes to the FILE given only).
 *
 * Text: a header (who we are, the SRV set), the table with one row per peer (cells "-"
 * when unknown), the notes (one line per row where something went wrong), then
 * "data dir: ...", "certificates: ..." with one line per check, "decision: <action>:
 * <reason>" (and "alert: ..." when the plan has one).
 *
 * JSON (--output json): one object {"peers":[...],"data_dir":{...},"certificates":[...],
 * "decision":{...}}; its keys are listed above print_json in diagprint.c. */
#ifndef EI_DIAGPRINT_H
#define EI_DIAGPRINT_H

#include <stdio.h>

#include "diagtable.h"

/* Print the table and the rest, as text or as JSON (in->cfg->output). */
void ei_diag_print(FILE *out, const struct ei_diag_facts *in, const struct ei_diag_table *t);

#endif
