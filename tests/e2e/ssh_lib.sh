# Helpers for the push tests: Debian's OpenSSH server on a free loopback port, with a
# throwaway host key and user key (TEST KEYS) in $T/ssh. Source after lib.sh.

# sshd_serve: starts sshd -D -f $T/ssh/sshd_config (own config, StrictModes no, keys and
# authorized_keys in $T/ssh, no password, running as the current user); sets $SSH_PORT,
# $SSHD_PID and $SSH_CONFIG (a client config that trusts only that host key and offers only
# that user key, and shares one connection between sessions, as a CI runner's config may:
# each handshake costs a second or two on a loaded machine; sshd_stop ends the master).
sshd_serve() {
	local d=$T/ssh
	command -v /usr/sbin/sshd >/dev/null || fail "sshd missing: apt-get install openssh-server"
	mkdir -p "$d" && chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -C 'TEST host key' -f "$d/host_key" || fail "ssh-keygen host"
	ssh-keygen -q -t ed25519 -N '' -C 'TEST user key' -f "$d/user_key" || fail "ssh-keygen user"
	cp "$d/user_key.pub" "$d/authorized_keys"
	SSH_PORT=$(free_port)
	# sshd insists on its privilege separation directory (normally made at boot).
	mkdir -p /run/sshd
	cat >"$d/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
LogLevel ERROR
CONF
	echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$d/host_key.pub")" >"$d/known_hosts"
	cat >"$d/config" <<CONF
Host *
	UserKnownHostsFile $d/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	IdentitiesOnly yes
	IdentityFile $d/user_key
	User $(id -un)
	ControlMaster auto
	ControlPath $d/mux-%p
	ControlPersist 60
CONF
	SSH_CONFIG=$d/config
	/usr/sbin/sshd -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
	SSHD_PID=$!
	wait_for 10 ssh -F "$SSH_CONFIG" -p "$SSH_PORT" -o BatchMode=yes 127.0.0.1 true
}

# sshd_stop: the shared connection's master, then sshd (trap on EXIT).
sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	ssh -F "$SSH_CONFIG" -p "$SSH_PORT" -O exit 127.0.0.1 2>/dev/null
	kill "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	return 0
}
