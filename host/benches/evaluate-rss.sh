#!/usr/bin/env bash
# Wall time and peak resident memory (max RSS, /usr/bin/time -v) of the real
# release binary `lvyue evaluate` on generated inventories, first under the
# default input limits, then with the limits the input needs.
#
#   host/benches/evaluate-rss.sh [ROWS...]        # default: 100000 1000000
#
# The workbooks come from the workbook benchmark (LVYUE_BENCH_KEEP=DIR, one
# iteration); they are kept in $LVYUE_RSS_DIR (default /tmp/lvyue-rss/ROWS) and
# reused on the next run. An .xlsx sheet holds at most 1,048,575 data rows: past
# that the same rows go in a request file (JSON), and the compliance workbook
# shows the emissions table going on over a continuation sheet. Needs `cargo bench -p lvyue --bench workbook --no-run`
# and `target/release/lvyue` (both built by `cargo bench`). Set LVYUE_RSS_RUNS
# (default 3) for the repetitions of the measured run; the median is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${LVYUE_BIN:-$root/target/release/lvyue}
bench=${LVYUE_WORKBOOK_BENCH:-$(ls -t "$root"/target/release/deps/workbook-* 2>/dev/null | grep -v '\.d$' | head -1)}
runs=${LVYUE_RSS_RUNS:-3}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
[ $# -gt 0 ] || set -- 100000 1000000

for rows in "$@"; do
  dir=${LVYUE_RSS_DIR:-/tmp/lvyue-rss}/$rows
  if [ "$rows" -gt 1048575 ]; then
    # An .xlsx sheet holds at most 1,048,575 rows below its header: a larger inventory
    # comes as a request file (the workbook benchmark's rows, as JSON).
    if [ ! -f "$dir/request.json" ]; then
      mkdir -p "$dir"
      python3 - "$rows" "$dir/request.json" <<'EOF'
import json, sys
rows, path = int(sys.argv[1]), sys.argv[2]
cats = ["fuel_combustion", "process", "other_direct", "purchased_electricity"]
with open(path, "w") as f:
    f.write('{"jurisdiction":"cn-ets","year":2024,"options":{"carbon_price_cny":"92.5"},'
            '"units":{"emission_sources":{"emissions_t":"tCO2"}},"tables":{"emission_sources":[')
    for i in range(rows):
        f.write(("," if i else "") + json.dumps({"facility": f"Unit {i % 40}", "source": f"Source {i}",
                 "category": cats[i % 4], "emissions_t": f"{100 + (i * 37) % 900}.{i % 100}"}))
    f.write('],"allowances":[{"type":"CEA","vintage":2024,"quantity_t":"20000000"}]}}')
EOF
    fi
    args=(--cache-dir "$cache" evaluate --request "$dir/request.json" --out "$dir/report.xlsx")
    input="$(du -m "$dir/request.json" | cut -f1) MiB request file"
  else
    if [ ! -f "$dir/inventory.xlsx" ]; then
      mkdir -p "$dir"
      (cd "$root/host" && LVYUE_BENCH_ROWS=$rows LVYUE_BENCH_ITERATIONS=1 LVYUE_BENCH_KEEP="$dir" "$bench" --bench >/dev/null)
    fi
    args=(--cache-dir "$cache" evaluate -j cn-ets --year 2024 --inventory "$dir/inventory.xlsx"
          --portfolio "$dir/portfolio.xlsx" --option carbon_price_cny=92.5 --out "$dir/report.xlsx")
    input="$(du -k "$dir/inventory.xlsx" | cut -f1) KiB inventory"
  fi
  echo "== $rows rows ($input); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  # Default limits: does it evaluate?
  if "$bin" "${args[@]}" >/dev/null 2>"$dir/default.err"; then
    echo "default limits: evaluates"
    extra=()
  else
    echo "default limits: refused (exit $?): $(grep -v '^error' "$dir/default.err" | head -3 | tr -s ' ')"
    # The limits this input needs: cells = (rows + 1) x 11 declared columns, one shared string per row and a few more.
    extra=(--input-limit "file-mib=1024,cells=$(( (rows + 1) * 11 )),strings=$(( rows * 2 + 100000 ))" --memory-mib "${LVYUE_RSS_MEMORY_MIB:-8192}")
    echo "measured with: ${extra[*]}"
  fi
  : >"$dir/runs"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$dir/time" "$bin" "${args[@]}" "${extra[@]}" >/dev/null 2>"$dir/run.err" || { cat "$dir/run.err"; exit 1; }
    cat "$dir/time" >>"$dir/runs"
  done
  python3 - "$dir/runs" <<'EOF'
import statistics, sys
runs = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
t = [r[0] for r in runs]; m = [r[1] / 1024 for r in runs]
print(f"wall time median {statistics.median(t):.2f} s (min {min(t):.2f} s); peak RSS median {statistics.median(m):.0f} MiB (max {max(m):.0f} MiB); {len(runs)} runs")
EOF
  python3 - "$dir/report.xlsx" <<'EOF'
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = re.findall(r'<sheet [^>]*name="([^"]+)"', z.read('xl/workbook.xml').decode())
for i, n in enumerate(names, 1):
    head = z.open(f'xl/worksheets/sheet{i}.xml').read(2000).decode('utf8', 'ignore')
    m = re.search(r'<dimension ref="([^"]+)"', head)
    if m and int(re.sub(r'\D', '', m.group(1).split(':')[-1]) or 0) > 10000:
        print(f'  sheet {n!r}: {m.group(1)}')
print(f'  {len(names)} sheets; report {sum(i.file_size for i in z.infolist()) >> 20} MiB unzipped')
EOF
done
