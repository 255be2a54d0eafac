/* wire-test-util.h: round trips and failure checks shared by the codec tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rw-codec.h"
#include "reload-body.h"
#include "reload-message.h"

/* Encodes @value (a structure of @size bytes visited by @visit, whose
 * fields are visited inside the current object), then checks that:
 * decoding those bytes and encoding again gives the same bytes; that the
 * JSON of the value, read back and encoded, gives the same bytes; and that
 * every proper prefix of the bytes fails to decode.  Returns the bytes. */
GBytes *wire_test_roundtrip (RwVisitFunc visit, gsize size, gpointer value,
                             const RwOptions *options);

/* Decodes @data with @visit into a scratch value and returns the GError
 * (never NULL: the test fails when decoding succeeds).  Checks that the
 * error message contains @field and, when @offset is not -1, names
 * "offset @offset". */
GError *wire_test_expect_error (RwVisitFunc visit, gsize size, const guint8 *data, gsize len,
                                const RwOptions *options, const char *field, gssize offset);

/* Decodes @data with @visit into @value, allocating from @arena (which
 * the caller frees); asserts success and that every byte was used. */
void wire_test_decode (RwVisitFunc visit, const guint8 *data, gsize len, const RwOptions *options,
                       RwArena *arena, gpointer value);

/* The JSON text of @value, for assertions on member names. */
char *wire_test_to_json (RwVisitFunc visit, gpointer value, const RwOptions *options);

/* Parses hex (spaces allowed) into bytes. */
GBytes *wire_test_hex (const char *hex);

/* @m, decoded from @wire, goes to JSON (which must contain @needle), back,
 * and encodes to @wire again. */
void wire_test_message_json_roundtrip (const ReloadMessage *m, GBytes *wire,
                                       const RwOptions *options, const char *needle);

/* @table (an area's body table) holds exactly the @n entries of @expected
 * (code, size, visit), and the global lookup finds each. */
void wire_test_check_body_table (const ReloadBodyType *table, const ReloadBodyType *expected,
                                 gsize n);

/* Fails, printing both, unless @bytes are the bytes of @hex. */
void wire_test_assert_bytes_hex (GBytes *bytes, const char *hex);

/* Decodes the bytes of @hex with @visit and expects the error @code
 * naming @field (at @offset unless -1). */
void wire_test_expect_error_hex (RwVisitFunc visit, gsize size, const char *hex,
                                 const RwOptions *options, const char *field, gssize offset,
                                 ReloadWireError code);

/* The JSON of @value contains (or lacks) @needle. */
void wire_test_assert_json_contains (RwVisitFunc visit, gpointer value, const RwOptions *options,
                                     const char *needle);
void wire_test_assert_json_lacks (RwVisitFunc visit, gpointer value, const RwOptions *options,
                                  const char *needle);
