/* SPDX-License-Identifier: BSD-2-Clause */
/* The fair queue of jobs for the TPM thread: round-robin across client
 * groups (a pod, or a socket's identity), first come first served within
 * a group. */
#ifndef TPMPROXY_FAIRQ_H
#define TPMPROXY_FAIRQ_H

#include <stddef.h>
#include <stdint.h>

struct job;
struct fairq;

int fairq_new(struct fairq **out);
int fairq_push(struct fairq *s, struct job *job);
struct job *fairq_pop(struct fairq *s);
size_t fairq_len(const struct fairq *s);
void fairq_free(struct fairq *s);

#endif
