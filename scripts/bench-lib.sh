# scripts/bench-lib.sh — what the bench scripts share, sourced by them (not run):
#   bench_help SCRIPT        prints SCRIPT's comment header (its --help)
#   bench_require TOOL…      exits 2 unless every TOOL is on PATH (or a path)
#   bench_fresh_dir DIR      empties DIR, making it if needed

bench_help() {
  awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$1"
}

bench_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
  done
}

bench_fresh_dir() {
  rm -rf "$1" && mkdir -p "$1"
}
