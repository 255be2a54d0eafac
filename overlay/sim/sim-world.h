/* sim-world.h: the virtual network of chorus-sim, a discrete-event
 * simulator that runs thousands of sans-I/O RELOAD nodes in virtual time on
 * one core.
 *
 * The world owns a virtual clock (microseconds), one event queue, a set of
 * hosts and the datagram links between them.  Nothing in it reads the real
 * clock, and everything random comes from streams derived from the world's
 * seed, so that one seed gives one run, bit for bit.
 *
 * Events.  A hierarchical timing wheel with a resolution of 1 us (8 levels
 * of 256 buckets): scheduling and cancelling are O(1), and events due at
 * the same microsecond run in the order they were scheduled.  A timer can
 * be cancelled until it has started to run; its id is never reused for
 * another timer (a slot generation is part of the id), so cancelling a
 * timer that already ran, or twice, is a harmless no-op.
 *
 * Latency model.  Each host gets, from (seed, host index) alone, a point
 * (x, y) uniform in the unit square and an access delay uniform in
 * [access_min, access_max].  The one-way delay between hosts a and b is
 *
 *     delay(a, b) = access(a) + access(b) + |p(a) - p(b)| * k
 *
 * symmetric, obeying the triangle inequality, and constant over time (no
 * jitter).  From the configured range [min_delay_us, max_delay_us]:
 *     access_min = min/2, access_max = min/2 + (max - min)/20,
 *     k = 0.9 (max - min) / sqrt(2)        (the square's diagonal)
 * so every delay lies in [min, max], the access links contribute up to a
 * tenth of the spread and distance the rest.  The defaults, 1 ms to 100 ms,
 * give a mean one-way delay near 39 ms (RTT ~78 ms).  sim_world_set_latency
 * overrides the model for one pair (an explicit matrix for small tests).
 * A link takes its delay (at most 2^32 us) when it is opened.
 *
 * Bandwidth (optional).  A host may have an uplink rate in bytes per second:
 * its datagrams are then serialised, each leaving when the previous one has
 * been transmitted, and arriving delay(a, b) after its last byte left.  The
 * downlink is not modelled.  0 means infinitely fast (the default).
 *
 * Links.  sim_world_link_open (a, b) simulates a (D)TLS connect as TLS 1.3
 * does it: the initiator's link is up after one RTT (its ClientHello out,
 * the server's flight back), the responder's half an RTT later (the client's
 * Finished): SIM_LINK_UP arrives at a after 2*delay, at b after 3*delay.
 * The handshake itself is never lost.  The responder hears nothing of the
 * link until its SIM_LINK_UP.  Datagrams on a link are delivered in FIFO
 * order per direction (TLS/TCP are ordered; DTLS with Simple Reliability is
 * not, but the simulator keeps FIFO, loss aside), each after the one-way
 * delay, unless lost (i.i.d. with the world's loss probability, drawn from
 * the sender's own network stream) or the receiving end is gone.
 *
 * Closing.  sim_world_link_close (link, host) closes @host's end at once
 * (no callback to @host); the other end gets SIM_LINK_DOWN one-way delay
 * later (the close_notify/FIN travelling).  Datagrams already sent by the
 * closer still arrive before that SIM_LINK_DOWN; datagrams towards the
 * closed end are dropped.
 *
 * Host failure.  sim_world_host_fail (host) is a crash: the host's ends of
 * all its links close at once, it gets no callback, no datagram is
 * delivered to it, it can send nothing, and its host timers
 * (sim_world_host_schedule) never run.  A real peer learns of a crash only
 * by timeouts (keepalives, retransmissions), so the other end of each link
 * gets SIM_LINK_DOWN fail_detect_us after the crash (default 5 s); until
 * then it may send and its datagrams are silently lost.  Datagrams that the
 * crashed host had sent before crashing are on the wire and still arrive.
 * Opening a link to a crashed host fails with SIM_LINK_DOWN at the
 * initiator after connect_timeout_us.  sim_world_host_revive brings the
 * host back, with no links, as a fresh process on the same address.
 *
 * Randomness.  sim_world_rand is the world's own stream.  Each host has its
 * own streams, derived from (seed, host index) only: sim_world_host_rand
 * for the node running on it, and a private one for the network's loss
 * decisions on its datagrams.  What one host draws, sends or loses does not
 * perturb any other host's random choices.
 *
 * Callbacks.  Every callback runs from sim_world_run_until (or
 * sim_world_step) and may call any function of this API, including failing
 * hosts, opening or closing links and scheduling or cancelling timers.
 * None is called from inside another API call.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SimWorld SimWorld;

/* 0 is never a valid timer or link.  Link ids are 32 bits (a node's
 * handle for a link is a guint) and are not reused before 2^32 links have
 * been opened, so a stale id is harmless. */
typedef guint64 SimTimerId;
typedef guint32 SimLinkId;
#define SIM_TIMER_NONE ((SimTimerId) 0)
#define SIM_LINK_NONE ((SimLinkId) 0)
#define SIM_HOST_NONE G_MAXUINT

#define SIM_US_PER_S G_GINT64_CONSTANT (1000000)
#define SIM_US_PER_MS G_GINT64_CONSTANT (1000)

typedef void (*SimEventFn) (SimWorld *world, gpointer data);

typedef enum
{
  SIM_LINK_UP,
  SIM_LINK_DOWN,
} SimLinkEvent;

/* @bytes is borrowed: ref it to keep it past the call. */
typedef void (*SimReceiveFn) (gpointer host_data, SimLinkId link, GBytes *bytes, gint64 now_us);
/* SIM_LINK_UP: @link is usable now (for the responder it is a new link);
 * SIM_LINK_DOWN: @link is gone (the peer closed it, crashed, or the connect
 * failed) and its id is stale from now on.  @peer_host is the other end. */
typedef void (*SimLinkEventFn) (gpointer host_data, SimLinkId link, SimLinkEvent event,
                                guint peer_host, gint64 now_us);

typedef struct
{
  gint64 min_delay_us;       /* the latency model's range; default 1 ms */
  gint64 max_delay_us;       /* default 100 ms */
  gint64 fail_detect_us;     /* crash to SIM_LINK_DOWN at the peer; default 5 s */
  gint64 connect_timeout_us; /* link_open to a crashed host; default 5 s */
  double loss;               /* i.i.d. datagram loss probability; default 0 */
  guint64 bandwidth_Bps;     /* uplink of new hosts, bytes/s, 0 = infinite (default) */
} SimWorldConfig;

void sim_world_config_init (SimWorldConfig *config);

/* @config may be NULL (the defaults). */
SimWorld *sim_world_new (guint64 seed, const SimWorldConfig *config);
/* Pending datagrams are released; timer data are not touched. */
void sim_world_free (SimWorld *world);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimWorld, sim_world_free)

guint64 sim_world_seed (SimWorld *world);
void sim_world_set_loss (SimWorld *world, double p);
/* Applies to links opened afterwards. */
void sim_world_set_delay_range (SimWorld *world, gint64 min_us, gint64 max_us);
void sim_world_set_fail_detect (SimWorld *world, gint64 fail_detect_us);

/* ---- clock and events ---- */

gint64 sim_world_now (SimWorld *world);
/* @at_us must not be in the past (a critical, and SIM_TIMER_NONE). */
SimTimerId sim_world_schedule (SimWorld *world, gint64 at_us, SimEventFn fn, gpointer data);
/* A timer that belongs to @host: it never runs if the host crashes first
 * (even if it is revived before @at_us). */
SimTimerId sim_world_host_schedule (SimWorld *world, guint host, gint64 at_us, SimEventFn fn,
                                    gpointer data);
/* TRUE when the timer was pending (and now never runs). */
gboolean sim_world_cancel (SimWorld *world, SimTimerId id);
/* Runs every event due at or before @t_us, then sets the clock to @t_us
 * (unless stopped).  Returns the number of events run. */
guint64 sim_world_run_until (SimWorld *world, gint64 t_us);
/* Runs the next event, whatever its time; FALSE when there is none. */
gboolean sim_world_step (SimWorld *world);
/* From a callback: sim_world_run_until returns after the current event,
 * the clock at that event's time. */
void sim_world_stop (SimWorld *world);
/* The time of the next event, or G_MAXINT64 when none is pending. */
gint64 sim_world_next_event_time (SimWorld *world);
guint64 sim_world_pending (SimWorld *world);

/* ---- hosts ---- */

/* Hosts are numbered 0, 1, 2, ... in order of creation, alive; at most
 * 2^24 of them. */
guint sim_world_add_host (SimWorld *world);
guint sim_world_n_hosts (SimWorld *world);
void sim_world_set_host_handler (SimWorld *world, guint host, SimReceiveFn receive,
                                 SimLinkEventFn link_event, gpointer host_data);
gpointer sim_world_host_data (SimWorld *world, guint host);
void sim_world_host_fail (SimWorld *world, guint host);
void sim_world_host_revive (SimWorld *world, guint host);
gboolean sim_world_host_alive (SimWorld *world, guint host);
/* Uplink rate in bytes/s, 0 = infinite. */
void sim_world_set_host_bandwidth (SimWorld *world, guint host, guint64 bytes_per_s);
/* The host's place in the latency model; any pointer may be NULL. */
void sim_world_host_position (SimWorld *world, guint host, double *x, double *y, gint64 *access_us);
guint sim_world_host_n_links (SimWorld *world, guint host);

/* ---- latency ---- */

/* One-way delay from @a to @b (the model, or the pair's override). */
gint64 sim_world_latency (SimWorld *world, guint a, guint b);
/* Overrides the model for the pair (both directions); for links opened
 * afterwards. */
void sim_world_set_latency (SimWorld *world, guint a, guint b, gint64 us);

/* ---- links ---- */

/* SIM_LINK_NONE if @from has crashed.  @from != @to. */
SimLinkId sim_world_link_open (SimWorld *world, guint from, guint to);
/* Closes @host's end; FALSE when it is not open (already closed, stale id,
 * or a responder's end before its SIM_LINK_UP: the host does not know it). */
gboolean sim_world_link_close (SimWorld *world, SimLinkId link, guint host);
/* Takes its own reference on @bytes.  FALSE (and nothing sent) unless
 * @from_host's end of @link is up; TRUE when the datagram left, even if the
 * network then loses it. */
gboolean sim_world_send (SimWorld *world, SimLinkId link, guint from_host, GBytes *bytes);
/* Whether @host's end of @link is up (a SIM_LINK_UP was delivered to it and
 * no SIM_LINK_DOWN yet, nor a close). */
gboolean sim_world_link_is_up (SimWorld *world, SimLinkId link, guint host);
/* The other end's host, or SIM_HOST_NONE when @host has no open end on
 * @link that it knows of. */
guint sim_world_link_peer (SimWorld *world, SimLinkId link, guint host);

/* ---- counters ---- */

typedef struct
{
  guint64 msgs_sent; /* datagrams that left (lost ones included) */
  guint64 bytes_sent;
  guint64 msgs_received; /* datagrams delivered to the receive handler */
  guint64 bytes_received;
  guint64 msgs_lost;    /* of the sent: lost by the random loss */
  guint64 msgs_dropped; /* of the sent: the receiving end closed or crashed */
  guint64 links_opened; /* link_open calls that returned a link */
} SimHostCounters;

typedef struct
{
  gint64 now_us;
  guint64 events_processed;
  guint64 events_pending;
  guint n_hosts;
  guint n_hosts_alive;
  guint64 links_open;    /* links with at least one end not yet closed */
  SimHostCounters total; /* the sum over all hosts */
} SimWorldStats;

void sim_world_stats (SimWorld *world, SimWorldStats *out);
void sim_world_host_counters (SimWorld *world, guint host, SimHostCounters *out);
/* Zeroes every host's counters and events_processed (to measure a phase). */
void sim_world_reset_counters (SimWorld *world);

/* ---- randomness ---- */

GRand *sim_world_rand (SimWorld *world);
/* The node's stream on @host: the same for a (seed, host) whatever else
 * happens in the world.  It survives a crash and revival. */
GRand *sim_world_host_rand (SimWorld *world, guint host);

/* ---- churn ---- */

/* Session times.  The default is Pareto with shape 1.5, the heavy tail that
 * measurement studies of deployed P2P systems report (Saroiu et al.,
 * Bhagwan et al.; the Bamboo/Rhea churn work discusses it): most sessions
 * are short, a few last very long.  Pareto(x_m, a) has median x_m 2^(1/a);
 * with a = 1.5 the mean is about 1.89 times the median.  The exponential
 * (memoryless, the Poisson churn model of Rhea et al. 2004 and of most DHT
 * evaluations) is there too.  Both are parametrised by their median, in
 * seconds, and draw one number from @rand. */
#define SIM_SESSION_PARETO_SHAPE 1.5
double sim_sample_session_s (GRand *rand, double median_s);
double sim_sample_pareto_s (GRand *rand, double median_s, double shape);
double sim_sample_exponential_s (GRand *rand, double median_s);

G_END_DECLS
