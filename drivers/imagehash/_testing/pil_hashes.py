"""Prints upstream-imagehash-style average_hash and phash of each image file, computed with PIL and
numpy (Debian has no python3-imagehash): `FILE AHASH PHASH` per line."""
import sys

import numpy as np
from PIL import Image


def average_hash(image, size=8):
    pixels = np.asarray(image.convert("L").resize((size, size), Image.LANCZOS))
    return pixels > pixels.mean()


def dct2(values, axis):
    n = values.shape[axis]
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    basis = 2 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
    return np.moveaxis(np.tensordot(basis, np.moveaxis(values, axis, 0), axes=1), 0, axis)


def phash(image, size=8):
    side = size * 4
    pixels = np.asarray(image.convert("L").resize((side, side), Image.LANCZOS)).astype(float)
    low = dct2(dct2(pixels, 0), 1)[:size, :size]
    return low > np.median(low)


def hex_of(bits):
    text = "".join("1" if bit else "0" for bit in bits.flatten())
    return "{:0>{width}x}".format(int(text, 2), width=(len(text) + 3) // 4)


for path in sys.argv[1:]:
    with Image.open(path) as image:
        print(path, hex_of(average_hash(image)), hex_of(phash(image)))
