#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to that project's PublicAPI.Unshipped.txt.
# Run after an intended API change, then review the diff: it is the API change.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build "${1:-Reclaim.slnx}" -p:TreatWarningsAsErrors=false 2>&1 \
  | grep -E "RS0016" | sed -E "s#^([^()]*)\([0-9]+,[0-9]+\): .*Symbol '(.*)' is not part of the declared.*#\1\t\2#" \
  | sort -u | while IFS=$'\t' read -r file symbol; do
      dir=$(dirname "$file")
      while [ ! -f "$dir/PublicAPI.Unshipped.txt" ] && [ "$dir" != "/" ]; do dir=$(dirname "$dir"); done
      grep -qxF -- "$symbol" "$dir/PublicAPI.Unshipped.txt" || echo "$symbol" >> "$dir/PublicAPI.Unshipped.txt"
    done
for f in $(git ls-files '*PublicAPI.Unshipped.txt' 2>/dev/null; find src -name PublicAPI.Unshipped.txt); do
  { head -1 "$f"; tail -n +2 "$f" | sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"
done
