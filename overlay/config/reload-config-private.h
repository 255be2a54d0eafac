/* reload-config-private.h: what the files of overlay/config share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "reload-config.h"

G_BEGIN_DECLS

/* reload-config-grammar.c: validates @doc against the RELAX NG grammar of
 * §11.1.1 (INVALID with libxml2's first complaint otherwise). */
gboolean reload_config_grammar_validate (xmlDoc *doc, GError **error);

/* libxml2 errors gathered into a message (the first one, with its line);
 * installed as the thread's structured error handler around a parse. */
typedef struct
{
  GString *first;
  guint count;
  /* the handlers to restore */
  xmlStructuredErrorFunc prev_structured;
  void *prev_structured_ctx;
  xmlGenericErrorFunc prev_generic;
  void *prev_generic_ctx;
} ReloadConfigXmlErrors;

void reload_config_xml_errors_begin (ReloadConfigXmlErrors *errs);
void reload_config_xml_errors_end (ReloadConfigXmlErrors *errs);
#if LIBXML_VERSION >= 21200
void reload_config_xml_error_cb (void *data, const xmlError *e);
#else
void reload_config_xml_error_cb (void *data, xmlErrorPtr e);
#endif

/* reload-config.c: strict base64 (RFC 4648 §4 alphabet with padding,
 * XML whitespace ignored anywhere, as xsd:base64Binary allows). */
GBytes *reload_config_base64_decode (const char *text, const char *what, GError **error);

/* Who signs, for the writer. */
typedef struct
{
  const ReloadSecurityOps *ops;
  gpointer self;
} ReloadConfigSigner;

/* reload-config-write.c: the document holding @cfg; with @signer, each
 * <kind> and the <configuration> followed by their signatures. */
char *reload_config_write (const ReloadConfig *cfg, const ReloadConfigSigner *signer,
                           GError **error);

/* reload-config.c: sets @error (RELOAD_CONFIG_ERROR, @code) and returns
 * FALSE. */
gboolean reload_config_fail (GError **error, ReloadConfigError code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

/* reload-config-sign.c: the base64 SecurityBlock signing @data. */
char *reload_config_sign_bytes (const ReloadConfigSigner *signer, const guint8 *data, gsize len,
                                GError **error);

/* reload-config.c: the lower-case hex form of a Node-ID. */
char *reload_config_node_id_hex (const ReloadNodeId *id);

G_END_DECLS
