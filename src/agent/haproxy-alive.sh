#!/bin/sh
# keepalived's vrrp_script for one amphora: exit 0 while the HAProxy master named by the pid
# file $1 is alive, 1 otherwise. It needs no agent, so it still answers when the agent that
# writes the track file is dead (docs/dataplane.md §5). The agent copies it into the amphora's
# run directory, whose owner alone may write it, as keepalived's script security demands.
#
# The pid file is read at every run: HAProxy restarted by the agent writes its new pid into the
# same file, and the next run follows it. A zombie counts as dead (once the agent is gone, PID 1
# reaps orphans seconds late, docs/dataplane.md §7.3). The process must have been started with
# this pid file (`-p $1`), so a pid the kernel has given to someone else is not taken for HAProxy.
pidfile=$1
read -r pid 2>/dev/null <"$pidfile" || [ -n "$pid" ] || exit 1
case $pid in '' | *[!0-9]*) exit 1 ;; esac
read -r stat 2>/dev/null <"/proc/$pid/stat" || exit 1
# The command name (field 2) may hold spaces and parentheses: the state follows the last ") ".
state=${stat##*') '}
case ${state%% *} in Z | X) exit 1 ;; esac
exec grep -qzxF -- "$pidfile" "/proc/$pid/cmdline"
