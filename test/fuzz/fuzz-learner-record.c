/* Fuzz target: the learner record read from the volume (<data-dir>/member/
 * .etcd-init-learner), ei_learner_record_parse. What parses must format back to the same
 * text (with its newline): the record has one spelling. */
#include "learner.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t id = 0, since = 0;
	char text[128];

	if (!ei_learner_record_parse((const char *)data, size, &id, &since))
		return 0;
	FUZZ_CHECK(id != 0);
	ei_learner_record_format(text, sizeof(text), id, since);
	FUZZ_CHECK(strlen(text) == size + (data[size - 1] != '\n'));
	FUZZ_CHECK(memcmp(text, data, size) == 0);
	return 0;
}
