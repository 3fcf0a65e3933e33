#!/bin/sh
# Speed of libfiie's detector next to the OpenCV DNN reference on the same
# machine, 1 thread (benchmark, not a test). Needs a build dir and the
# reference of ../shared (not part of the project; by default the shared
# folder beside the project checkout). The two run in turn
# ROUNDS times; the ratio uses the best median of each, which is the most
# robust figure on a shared machine.
# usage: tests/bench_vs_opencv.sh [BUILD_DIR] [REFERENCE_DIR] [ROUNDS]
set -eu
build=${1:-build}
ref=${2:-$(dirname "$0")/../../shared/reference}
rounds=${3:-3}
img=$(dirname "$0")/data/images/faces_640x480.png
best_a=; best_b=
i=0
while [ "$i" -lt "$rounds" ]; do
  ours=$("$build/tests/bench_detect" --threads 1 --runs 25 "$img")
  theirs=$(OMP_NUM_THREADS=1 /usr/bin/python3 "$ref/mtcnn_ref.py" --models "$ref/mtcnn-caffe" \
    --resize cv2area --threads 1 --bench 25 "$img" 2>&1 >/dev/null | grep '^bench')
  echo "$ours"
  echo "$theirs"
  # wall-clock median (the line also has a "cpu median")
  a=$(echo "$ours" | sed -n 's/.*: median \([0-9.]*\) ms.*/\1/p')
  b=$(echo "$theirs" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
  best_a=$(echo "$a ${best_a:-$a}" | awk '{print ($1 < $2) ? $1 : $2}')
  best_b=$(echo "$b ${best_b:-$b}" | awk '{print ($1 < $2) ? $1 : $2}')
  i=$((i + 1))
done
echo "best medians: libfiie $best_a ms, OpenCV DNN $best_b ms," \
  "ratio $(echo "$best_a $best_b" | awk '{printf "%.3f", $1/$2}')"
