#!/usr/bin/env bash
# Renders IBR Desk's icons from the one source, assets/ibr-desk.svg:
#   packaging/icons/hicolor/<N>x<N>/apps/ibr-desk.png   N = 16 32 48 64 128 256 512 (Linux menus)
#   packaging/icons/hicolor/scalable/apps/ibr-desk.svg  (a copy of the source)
#   packaging/icons/ibr-desk.ico                        (Windows installer and shortcuts: 16-256)
#   packaging/icons/ibr-desk.icns                       (the macOS .app bundle: 16-512)
# The results are committed; run this again after changing the SVG.
# Needs rsvg-convert (librsvg2-bin) or ImageMagick for the PNGs, ImageMagick for the
# .ico, png2icns (icnsutils) for the .icns.
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=assets/ibr-desk.svg
OUT=packaging/icons
SIZES=(16 32 48 64 128 256 512)

render() { # size out.png
  if command -v rsvg-convert >/dev/null 2>&1; then
    rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio --format png --output "$2" "$SRC"
  else
    convert -background none -density 384 "$SRC" -resize "$1x$1" "PNG32:$2"
  fi
}

for n in "${SIZES[@]}"; do
  dir="$OUT/hicolor/${n}x${n}/apps"
  mkdir -p "$dir"
  render "$n" "$dir/ibr-desk.png"
done
mkdir -p "$OUT/hicolor/scalable/apps"
cp "$SRC" "$OUT/hicolor/scalable/apps/ibr-desk.svg"

png() { echo "$OUT/hicolor/$1x$1/apps/ibr-desk.png"; }

# Windows: one .ico holding 16, 32, 48, 64, 128 and 256 (the largest an .ico holds).
convert "$(png 16)" "$(png 32)" "$(png 48)" "$(png 64)" "$(png 128)" "$(png 256)" "$OUT/ibr-desk.ico"

# macOS: png2icns takes the sizes the format has (16, 32, 48, 128, 256, 512).
png2icns "$OUT/ibr-desk.icns" "$(png 16)" "$(png 32)" "$(png 48)" "$(png 128)" "$(png 256)" "$(png 512)" >/dev/null

echo "icons written under $OUT"
