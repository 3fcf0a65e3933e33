#!/bin/sh
# Speed of libfiie's detector next to the OpenCV DNN reference on the same
# machine, 1 thread (benchmark, not a test). Needs a build dir and the
# reference of ../shared (not part of the project).
# usage: tests/bench_vs_opencv.sh [BUILD_DIR] [REFERENCE_DIR]
set -eu
build=${1:-build}
ref=${2:-/work/shared/reference}
img=$(dirname "$0")/data/images/faces_640x480.png
ours=$("$build/tests/bench_detect" --threads 1 --runs 25 "$img")
echo "$ours"
theirs=$(OMP_NUM_THREADS=1 /usr/bin/python3 "$ref/mtcnn_ref.py" --models "$ref/mtcnn-caffe" \
  --resize cv2area --threads 1 --bench 25 "$img" 2>&1 >/dev/null | grep '^bench')
echo "$theirs"
a=$(echo "$ours" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
b=$(echo "$theirs" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
echo "ratio libfiie/OpenCV = $(echo "$a $b" | awk '{printf "%.3f", $1/$2}')"
