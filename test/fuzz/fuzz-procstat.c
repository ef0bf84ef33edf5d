/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/procstat.c's parsers: a /proc/PID/stat line
 * holds the peer's own command name (any bytes but NUL and newline
 * placement it chooses), and /proc/self/limits text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long start;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)procstat_parse_start_time(text, &start);
	(void)procstat_parse_limit(text, "Max open files");
	free(text);
	return 0;
}
