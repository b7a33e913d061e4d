#!/usr/bin/env bash
# Run every fuzz target with Jazzer.js (coverage-guided, libFuzzer), in parallel, and summarise.
#
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [--ci] [--jobs N] [--targets a,b,...] [--merge] [--no-build]
#
#   SECONDS_PER_TARGET  fuzzing time per target (default 300; --ci: 8)
#   --ci                short run: the committed corpus is read, never written; new inputs go to a
#                       temporary directory; fails on any finding
#   --jobs N            targets run at once (default: number of CPUs)
#   --targets LIST      comma-separated subset of fuzz/targets/*.fuzz.js (default: all)
#   --merge             afterwards, minimize each target's corpus (committed seeds + new inputs) back
#                       into fuzz/corpus/<target>/ (see fuzz/minimize.mjs)
#   --no-build          do not run `npx tsup` (use the dist/ that is there)
#
# Per target it prints executions, coverage (libFuzzer `cov`/`ft`), corpus size and findings; then
# "fuzz: N executions across T targets, F findings". Findings (crash-*/timeout-* inputs and logs) are
# kept under fuzz/.work/<target>/; turn each into a regression test under test/fuzz/.
# Exit status: 0 without findings, 1 with findings, 2 on a setup error.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

secs=""
ci=0
jobs=$(nproc 2>/dev/null || echo 2)
only=""
merge=0
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) ci=1 ;;
    --jobs) jobs=$2; shift ;;
    --targets) only=$2; shift ;;
    --merge) merge=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    [0-9]*) secs=$1 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$secs" ] || { [ $ci = 1 ] && secs=8 || secs=300; }

# --- setup ---------------------------------------------------------------------------------------
if [ ! -x node_modules/.bin/jazzer ]; then
  echo "run.sh: node_modules/.bin/jazzer missing: npm install (devDependency @jazzer.js/core)" >&2
  exit 2
fi
bash fuzz/build-jazzer.sh || { echo "run.sh: the Jazzer.js native addon does not load and could not be built" >&2; exit 2; }
if [ $build = 1 ] || [ ! -f dist/walk/index.js ]; then
  npx tsup >/dev/null 2>&1 || { echo "run.sh: npx tsup failed" >&2; exit 2; }
fi

targets=()
for f in fuzz/targets/*.fuzz.js; do
  t=$(basename "$f" .fuzz.js)
  if [ -n "$only" ] && [[ ",$only," != *",$t,"* ]]; then continue; fi
  targets+=("$t")
done
[ ${#targets[@]} -gt 0 ] || { echo "run.sh: no targets" >&2; exit 2; }

max_len() {
  case "$1" in
    capture) echo 16384 ;;
    walk) echo 8192 ;;
    stt-reassembly) echo 2048 ;;
    net|tlv) echo 1024 ;;
    *) echo 512 ;;
  esac
}

if [ $ci = 1 ]; then work=$(mktemp -d "${TMPDIR:-/tmp}/tw-fuzz.XXXXXX"); else work="$root/fuzz/.work"; fi
mkdir -p "$work"

run_target() {
  local t=$1 w="$work/$1"
  rm -rf "$w/artifacts" "$w/log"
  mkdir -p "$w/corpus" "$w/artifacts"
  # The first corpus directory receives new inputs: the work one; fuzz/corpus/<t> is only read.
  timeout --kill-after=30 $((secs + 120)) node node_modules/.bin/jazzer "fuzz/targets/$t.fuzz.js" "$w/corpus" "fuzz/corpus/$t" \
    --sync -i dist/ --timeout=10000 -- \
    -max_total_time="$secs" -max_len="$(max_len "$t")" -artifact_prefix="$w/artifacts/" -print_final_stats=1 \
    >"$w/log" 2>&1
  echo $? >"$w/rc"
}

start=$(date +%s)
echo "fuzz: ${#targets[@]} targets, ${secs}s each, $jobs at a time (Jazzer.js $(node -p 'require("./node_modules/@jazzer.js/core/package.json").version'))"
running=0
for t in "${targets[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

# --- summary -------------------------------------------------------------------------------------
total=0
findings=0
printf '%-16s %12s %10s %8s %8s %7s  %s\n' target executions exec/s cov ft corpus result
for t in "${targets[@]}"; do
  w="$work/$t"
  rc=$(cat "$w/rc" 2>/dev/null || echo 99)
  execs=$(grep 'stat::number_of_executed_units:' "$w/log" | tail -1 | awk '{print $2}')
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$w/log" | tail -1 | tr -d '#')
  [ -n "$execs" ] || execs=0
  rate=$(grep 'stat::average_exec_per_sec:' "$w/log" | tail -1 | awk '{print $2}')
  last=$(grep -E '^#[0-9]+.*cov: ' "$w/log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
  arts=$(ls "$w/artifacts" 2>/dev/null | grep -E '^(crash|timeout|oom|leak)-' || true)
  if [ "$rc" = 0 ] && [ -z "$arts" ]; then
    result=ok
  else
    findings=$((findings + 1))
    result="FINDING (exit $rc) ${arts:+$(echo $arts | tr '\n' ' ')}log: $w/log"
    tail -n 25 "$w/log" | sed "s/^/  $t| /" >&2
  fi
  total=$((total + execs))
  printf '%-16s %12s %10s %8s %8s %7s  %s\n' "$t" "$execs" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done

if [ $merge = 1 ] && [ $ci = 0 ]; then
  for t in "${targets[@]}"; do
    node fuzz/minimize.mjs "$t" "$work/$t/merged" "fuzz/corpus/$t" "$work/$t/corpus" \
      && rm -rf "fuzz/corpus/$t" && mv "$work/$t/merged" "fuzz/corpus/$t"
  done
  echo "fuzz: corpus $(du -sb fuzz/corpus | cut -f1) bytes in $(find fuzz/corpus -type f | wc -l) files"
fi

[ $ci = 1 ] && rm -rf "$work"
echo "fuzz: $total executions across ${#targets[@]} targets, $findings findings ($(( $(date +%s) - start )) s)"
[ $findings = 0 ]
