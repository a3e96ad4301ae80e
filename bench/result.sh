# Sourced by the bash benchmarks: their headline comparisons, machine-readable for bench/run-all.
#
# When BENCH_JSON names a file, every result_row rewrites it as
#   {"bench": NAME, "rows": [{"work", "baseline", "unit", "exthost", "base", "ratio", "note"}]}
# so the file is complete even when a script ends early. `ratio` is oriented as each script
# prints it: >= 1.0 means exthost is at least as good as its baseline. Without BENCH_JSON
# nothing is written. Text arguments must not contain double quotes or backslashes.

BENCH_RESULT_ROWS=()

# A number as JSON, or null for what is not one ("inf", "n/a", "-", empty).
result_number() { if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then printf '%s' "$1"; else printf null; fi; }

# result_row BENCH WORK BASELINE UNIT EXTHOST BASE RATIO [NOTE]
result_row() {
  [ -n "${BENCH_JSON:-}" ] || return 0
  BENCH_RESULT_ROWS+=("$(printf '{"work":"%s","baseline":"%s","unit":"%s","exthost":%s,"base":%s,"ratio":%s,"note":"%s"}' \
    "$2" "$3" "$4" "$(result_number "$5")" "$(result_number "$6")" "$(result_number "$7")" "${8:-}")")
  local IFS=,
  printf '{"bench":"%s","rows":[%s]}\n' "$1" "${BENCH_RESULT_ROWS[*]}" > "$BENCH_JSON"
}
