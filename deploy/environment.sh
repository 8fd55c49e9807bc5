# Sourced by deploy/manage and deploy/backup: exports the variables of the environment file
# ($PLEDGELOOP_ENV_FILE, default /etc/pledgeloop.env) the way systemd's EnvironmentFile= reads
# README's block: KEY=VALUE lines, '#' comments, nothing evaluated (a password may hold any
# character, where the shell's `. file` would run it).
env_file=${PLEDGELOOP_ENV_FILE:-/etc/pledgeloop.env}
if [ ! -r "$env_file" ]; then
    echo "$0: cannot read $env_file (README, 生产环境 / Production)" >&2
    exit 1
fi
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        '' | '#'*) continue ;;
        *=*) export "${line%%=*}=${line#*=}" ;;
        *) echo "$0: not KEY=VALUE in $env_file: $line" >&2; exit 1 ;;
    esac
done <"$env_file"
