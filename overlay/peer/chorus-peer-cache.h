/* chorus-peer-cache.h: ChorusPeer's bootstrap cache (RFC 6940 §11.4):
 * the shell's cache callbacks (reload-peer-shell.h) on the table of the
 * profile's database (chorus-bootstrap-cache.h).  Private to ChorusPeer.
 *
 * Opened on the thread that makes the peer, then used by the peer's
 * thread alone; the entry count is readable from any thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-peer-shell.h"

G_BEGIN_DECLS

typedef struct _ChorusPeerCache ChorusPeerCache;

/* Opens PROFILE/chorus.db (migrating it; refusing one of a newer Chorus). */
ChorusPeerCache *chorus_peer_cache_open (const char *profile_dir, GError **error);
void chorus_peer_cache_free (ChorusPeerCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusPeerCache, chorus_peer_cache_free)

/* The callbacks for ReloadPeerShellConfig.cache. */
void chorus_peer_cache_shell_ops (ChorusPeerCache *cache, ReloadPeerShellCache *out);
/* Entries now (as of the last change); any thread. */
guint chorus_peer_cache_size (ChorusPeerCache *cache);

G_END_DECLS
