#!/usr/bin/env bash
# Runs the benchmarks (not part of the test suite) against real `fulcrum` processes on
# 127.0.0.1: PGlite through `fulcrum serve`, and PostgreSQL through `fulcrum api` + `fulcrum
# worker` on a fresh database that is dropped afterwards. Needs PostgreSQL on 127.0.0.1:5432
# (or FULCRUM_BENCH_POSTGRES_URL pointing at an admin database).
#
#   bench/run.sh                 both benchmarks
#   bench/run.sh throughput      only API requests/s
#   bench/run.sh active          only create → ACTIVE
#   bench/run.sh reads           show/list req/s with 20 LBs at concurrency 8 and create → ACTIVE
#                                on PGlite (serve), beside Octavia 11's figures. Not part of `all`.
#   bench/run.sh keystone        Keystone token validation with/without the cache, and list/show
#                                req/s in keystone mode vs noauth (a test Keystone on loopback,
#                                needs python3-keystone). Not part of `all`.
#   bench/run.sh dataplane [create|changes|throughput]
#                                the data plane on the amphora provider (process compute driver:
#                                HAProxy on loopback VIPs): create → first request through the
#                                VIP, member change → traffic following, req/s through Fulcrum's
#                                HAProxy vs direct vs a hand-written HAProxy. Not part of `all`.
#                                Needs haproxy and wrk; nginx-light for the backends if installed
#                                (apt-get install -y haproxy wrk nginx-light). No PostgreSQL.
#   bench/run.sh failover        LB failover on the amphora provider (process compute driver):
#                                failover → traffic served by the replacement amphora, service
#                                gap and failed requests of a sequential probe loop, against a
#                                plain HAProxy restart measured in the same run. Not part of `all`.
#   bench/run.sh self-heal       outage (probes every 10 ms) when one amphora's HAProxy is killed,
#                                when the agent and every HAProxy are killed under a running serve,
#                                and after a power loss of serve + agent + HAProxy. Not part of `all`.
#   bench/run.sh agent-start     spawn → first HTTPS answer and first heartbeat of an amphora agent,
#                                idle and under busy loops: the TypeScript sources through tsx against
#                                the bundle npm ci builds (dist/agent). Not part of `all`.
#   bench/run.sh adopted-watch   CPU the agent spends watching adopted daemons (no exit event):
#                                per-daemon timers against the shared watch. Not part of `all`.
#   bench/run.sh spare           what the spare pool saves: create and LB failover → ACTIVE with
#                                FULCRUM_SPARE_POOL_SIZE=0 and with a pool, two serves driven
#                                alternately (process compute driver). Not part of `all`.
#   bench/run.sh auto-failover   amphora lost (HAProxy killed, not restartable) → the health manager's
#                                failover job → traffic on the replacement, with the default heartbeat
#                                interval and timeout, against an operator failover sent at once.
#                                Not part of `all`.
#   bench/run.sh chaos           the chaos test's long version: BENCH_CHAOS_ROUNDS seeded rounds under
#                                load killing an amphora's HAProxy, the agent, or the agent and every
#                                HAProxy; outage and failed requests per failure kind, and the final
#                                consistency check. Not part of `all`.
#   bench/run.sh chaos-netns     the same on the netns compute driver (root): SINGLE and ACTIVE_STANDBY
#                                load balancers, rounds killing an amphora's HAProxy or keepalived, the
#                                agent, or deleting an amphora's namespace; outage per failure kind,
#                                topology and role of the victim. Not part of `all`.
#   bench/run.sh hosts           the device inventory: scheduler decisions/s, 200 LBs placed over 5
#                                hosts (noop compute), and the drain of a host with 20 LBs (two
#                                `fulcrum host join` agents, process compute) with the longest
#                                outage its probers saw. Not part of `all`.
#   bench/run.sh heartbeat       heartbeat checks per datagram against a bare JSON.parse, and the
#                                health manager's CPU and idle writes with BENCH_HB_AMPHORAE amphorae
#                                heartbeating every second (embedded database). Not part of `all`.
#   bench/run.sh metrics         GET /metrics scrape time with BENCH_METRICS_LBS (500) load balancers
#                                (noop provider rows, figures written from simulated heartbeats) on
#                                both back ends, against listing them; HAProxy req/s with and without
#                                Fulcrum's collection (show stat ×10/s, exporter scrape ×1/s). Not part
#                                of `all`. Needs wrk.
#   bench/run.sh webhooks        events per second the webhook dispatcher delivers to a receiver on
#                                loopback (PGlite and PostgreSQL), against direct POSTs of the same
#                                signed bodies, and the cost of recording events with a hook.
#                                Not part of `all`.
#   bench/run.sh protection      listener protection: HAProxy req/s and CPU per request with and
#                                without per-source limits, side by side; a legitimate client's
#                                latency and success alone and under a flood. Not part of `all`.
#   bench/run.sh scale           BENCH_SCALE_LBS load balancers (listener, pool, two members) on the
#                                embedded default: all serving, idle CPU of serve + agent + every
#                                HAProxy, GET show p50/p99, member down → API. Not part of `all`.
#
# Knobs (environment): BENCH_SETUPS=pglite,postgres[,postgres-serve]  BENCH_CONCURRENCY=4
# BENCH_SECONDS=5  BENCH_CREATES=300  BENCH_LBS=50  BENCH_POLL_MS=1  BENCH_VALIDATIONS=300
# dataplane: BENCH_DP_LBS=15  BENCH_DP_POLL_MS=10  BENCH_DP_ROUNDS=5  BENCH_DP_SETTLE_MS=300
# BENCH_DP_WRK_SECONDS=5  BENCH_DP_WRK_RUNS=5  BENCH_DP_BACKENDS=2
# failover: BENCH_FO_ROUNDS=10  BENCH_DP_SETTLE_MS=300
# self-heal: BENCH_SH_LBS=3  BENCH_SH_ROUNDS=10  BENCH_SH_POWER_ROUNDS=10  BENCH_SH_KINDS=haproxy,agent,power
# agent-start: BENCH_AGENT_START_RUNS=7  BENCH_AGENT_START_LOAD=2
# adopted-watch: BENCH_AW_DAEMONS=500  BENCH_AW_SECONDS=5  BENCH_AW_RUNS=3
# spare: BENCH_SPARE_ROUNDS=15  BENCH_SPARE_POOL=2
# active-standby (root, netns driver: drill → outage, pair whole again): BENCH_AS_ROUNDS=10
# single-lost (root, netns driver: namespace deleted → replacement serving): BENCH_SL_ROUNDS=10
# chaos: BENCH_CHAOS_ROUNDS=30  BENCH_CHAOS_LBS=3 (chaos-netns: 4)  BENCH_CHAOS_LOAD=2  FULCRUM_TEST_SEED=<seed to replay>
# protection: BENCH_PROTECTION_SECONDS=5  BENCH_PROTECTION_ROUNDS=5  BENCH_PROTECTION_FLOOD=1000
# udp (root, netns driver: UDP dgram/s and latency VIP vs direct, member change → flows follow): BENCH_UDP_RUNS=5 BENCH_UDP_ROUNDS=5
# auto-failover: BENCH_AF_ROUNDS=10   heartbeat: BENCH_HB_AMPHORAE=500  BENCH_HB_SECONDS=10  BENCH_HB_PACKETS=20000
# webhooks: BENCH_WH_EVENTS=1000  BENCH_WH_RUNS=3  BENCH_SETUPS=pglite,postgres
# scale: BENCH_SCALE_LBS=500  BENCH_SCALE_IDLE_S=30  BENCH_SCALE_CONCURRENCY=8  BENCH_SCALE_SHOWS=1000
# BENCH_SCALE_STATUS_RUNS=5  BENCH_API_WAIT_S=60 (how long serve may take to answer, for loaded hosts)
# Numbers depend on the machine and what else runs on it; compare the ratios within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { node --import tsx "bench/$1.ts"; }
case "${1:-all}" in
  throughput) run api-throughput ;;
  active) run create-to-active ;;
  reads) run api-reads ;;
  keystone) run keystone-auth ;;
  webhooks) run webhooks ;;
  dataplane)
    case "${2:-all}" in
      create) run dataplane-create ;;
      changes) run dataplane-changes ;;
      throughput) run dataplane-throughput ;;
      all)
        run dataplane-create
        run dataplane-changes
        run dataplane-throughput
        ;;
      *)
        echo "usage: bench/run.sh dataplane [create|changes|throughput|all]" >&2
        exit 2
        ;;
    esac
    ;;
  failover) run failover ;;
  self-heal) run self-heal ;;
  agent-start) run agent-start ;;
  adopted-watch) run adopted-watch ;;
  spare) run spare-pool ;;
  active-standby) run active-standby ;;
  single-lost) run single-lost ;;
  auto-failover) run auto-failover ;;
  heartbeat) run heartbeat-rate ;;
  chaos) run chaos ;;
  chaos-netns) BENCH_CHAOS_DRIVER=netns run chaos ;;
  metrics) run metrics ;;
  protection) run protection ;;
  udp) run udp ;;
  scale) run scale ;;
  hosts) run hosts ;;
  all)
    run api-throughput
    run create-to-active
    ;;
  *)
    echo "usage: bench/run.sh [throughput|active|keystone|dataplane [create|changes|throughput]|failover|self-heal|agent-start|adopted-watch|spare|active-standby|single-lost|auto-failover|heartbeat|chaos|chaos-netns|metrics|webhooks|protection|udp|scale|hosts|all]" >&2
    exit 2
    ;;
esac
