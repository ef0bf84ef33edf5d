/* SPDX-License-Identifier: BSD-2-Clause */
/* Command attribute table read from the TPM (TPM_CAP_COMMANDS). */
#include "cmdattrs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "log.h"
#include "tpmcmd.h"

/* Sorted by command code so a lookup is a binary search. */
struct cmdattrs {
	size_t count;
	TPMA_CC *attrs;
};

/* The command code a TPMA_CC describes (TPM2 Part 2, 8.9: index and V). */
static uint32_t
cmdattrs_code(TPMA_CC a)
{
	return (a & TPMA_CC_COMMANDINDEX_MASK) | (a & TPMA_CC_V);
}

/* qsort order: by command code. */
static int
cmdattrs_compare(const void *pa, const void *pb)
{
	uint32_t a = cmdattrs_code(*(const TPMA_CC *)pa);
	uint32_t b = cmdattrs_code(*(const TPMA_CC *)pb);

	return a < b ? -1 : a > b;
}

/* Build a table from a list of attributes (also used by unit tests). */
int
cmdattrs_from_list(const TPMA_CC *list, size_t count, struct cmdattrs **out)
{
	struct cmdattrs *ca;

	ca = calloc(1, sizeof(*ca));
	if (ca == NULL)
		return -ENOMEM;
	ca->attrs = calloc(count ? count : 1, sizeof(*ca->attrs));
	if (ca->attrs == NULL) {
		free(ca);
		return -ENOMEM;
	}
	memcpy(ca->attrs, list, count * sizeof(*list));
	ca->count = count;
	qsort(ca->attrs, count, sizeof(*ca->attrs), cmdattrs_compare);
	*out = ca;
	return 0;
}

/* Read every command's attributes from the TPM, following moreData. */
int
cmdattrs_load(struct backend *be, struct cmdattrs **out)
{
	TPMA_CC *list = NULL, *grown;
	size_t count = 0;
	uint32_t next = TPM2_CC_FIRST, rc;
	bool more = true;
	int r;

	while (more) {
		TPMS_CAPABILITY_DATA data;
		TPML_CCA *cca = &data.data.command;

		rc = tpmcmd_get_capability(be, TPM2_CAP_COMMANDS, next,
		    TPM2_MAX_CAP_CC, &more, &data);
		if (rc != TPM2_RC_SUCCESS) {
			log_error("reading TPM_CAP_COMMANDS failed: 0x%x", rc);
			free(list);
			return -EIO;
		}
		if (cca->count == 0)
			break;
		grown = realloc(list, (count + cca->count) * sizeof(*list));
		if (grown == NULL) {
			free(list);
			return -ENOMEM;
		}
		list = grown;
		memcpy(list + count, cca->commandAttributes,
		    cca->count * sizeof(*list));
		count += cca->count;
		next = cmdattrs_code(cca->commandAttributes[cca->count - 1]) + 1;
	}
	r = cmdattrs_from_list(list, count, out);
	free(list);
	if (r == 0)
		log_debug("TPM implements %zu commands", count);
	return r;
}

/* Find a command's attributes; -ENOENT if the TPM does not implement it. */
int
cmdattrs_lookup(const struct cmdattrs *ca, uint32_t code, TPMA_CC *attrs)
{
	size_t lo = 0, hi = ca->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t c = cmdattrs_code(ca->attrs[mid]);

		if (c == code) {
			*attrs = ca->attrs[mid];
			return 0;
		}
		if (c < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/* How many commands the TPM reported. */
size_t
cmdattrs_count(const struct cmdattrs *ca)
{
	return ca->count;
}

/* Number of handles in the command's handle area. */
unsigned
cmdattrs_handles(TPMA_CC attrs)
{
	return (attrs & TPMA_CC_CHANDLES_MASK) >> TPMA_CC_CHANDLES_SHIFT;
}

/* Whether the response carries a handle. */
int
cmdattrs_has_rhandle(TPMA_CC attrs)
{
	return (attrs & TPMA_CC_RHANDLE) != 0;
}

/* Whether a successful command flushes its first handle. */
int
cmdattrs_flushes(TPMA_CC attrs)
{
	return (attrs & TPMA_CC_FLUSHED) != 0;
}

/* Free the table. */
void
cmdattrs_free(struct cmdattrs *ca)
{
	if (ca == NULL)
		return;
	free(ca->attrs);
	free(ca);
}
