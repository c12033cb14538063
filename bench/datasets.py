#!/usr/bin/python3
"""The data sets of the benchmarks (bench/compare.py, bench/compare_beta.py, bench/python_speed.py),
made on this machine:

- spectrogram.npy: the magnitude spectrogram (frames x 513 bins, float32, no zeros) of 320 s of
  synthetic music at 16 kHz: notes of eight harmonics with vibrato and decay, a new note every
  0.3 s drawn from eight pitches, over faint white noise; 1024-sample Hann windows, hop 256.
- speech.npy: a second magnitude spectrogram (7497 frames x 513 bins, float32, no zeros), of
  120 s of synthetic speech-like sound at 16 kHz: every 0.15 s either a burst of band-passed noise
  (a fricative) or a voiced segment (a pulse train of 29 harmonics of a pitch drawn from
  90-220 Hz, shaped by three formant-like resonances), over faint white noise; same STFT.
- tfidf.npy: a tf-idf term-document matrix (documents x terms, float32, about 94% zeros) of the
  text under /usr/share/doc (changelogs, READMEs, copyright files; one document per file, gzip
  files decompressed), scikit-learn's TfidfVectorizer with English stop words, terms in at least 3
  documents, the 5000 most frequent; documents with no term left out.
- tfidf.npz: the same matrix as scipy.sparse CSR (save_npz), the form scikit-learn's vectorizer
  gives it: what the benchmarks hand to nmfkit and to scikit-learn (RcppML reads tfidf.npy).
- patches.npy: 100,000 colour patches of 16 x 16 pixels (uint8, 100000 x 768, pixel-major RGB)
  cut at random places (seed 0) from scikit-learn's two sample photos (china.jpg, flower.jpg,
  427 x 640), half from each: dense photo data with almost no zeros.

With --growth MNIST_DIR, also (for bench/growth.py):
- mnist-600k.npy and mnist-6m.npy: MNIST's 60,000 training digits (uint8, n x 28 x 28), each
  repeated at 10 and at 100 shifts (dx, dy in -5..4, nearest the origin first, (0, 0) first; the
  pixels shifted in are 0): 600,000 and 6,000,000 images of MNIST's kind (about 81% zeros), written
  a block at a time (the 6M file is 4.7 GB).

Usage: bench/datasets.py OUTDIR [--growth MNIST_DIR]   (skips a file that already exists)
"""
import gzip
import os
import sys

import numpy as np


def spectrogram(path, seconds=320, seed=0):
    rng = np.random.default_rng(seed)
    sr, hop, nfft = 16000, 256, 1024
    frames = (seconds * sr - nfft) // hop + 1
    n = hop * (frames - 1) + nfft
    t = np.arange(n) / sr
    sig = np.zeros(n)
    seg = int(0.3 * sr)
    for s in range(0, n, seg):
        f0 = rng.choice([110, 147, 196, 220, 262, 330, 392, 440]) * rng.uniform(0.98, 1.02)
        e = min(n, s + seg)
        tt = t[s:e]
        env = np.exp(-3 * (tt - tt[0]))
        for h in range(1, 9):
            sig[s:e] += env * np.sin(2 * np.pi * f0 * h * tt + 0.3 * np.sin(2 * np.pi * 5 * tt)) / h
    sig += 0.02 * rng.standard_normal(n)
    win = np.hanning(nfft)
    x = np.empty((frames, nfft // 2 + 1), dtype=np.float32)
    for f0 in range(0, frames, 4096):  # in slices, to bound the memory of the frame matrix
        f1 = min(frames, f0 + 4096)
        idx = np.arange(nfft)[None, :] + hop * np.arange(f0, f1)[:, None]
        x[f0:f1] = np.abs(np.fft.rfft(sig[idx] * win, axis=1))
    np.save(path, x)


def speech(path, seconds=120, seed=5):
    rng = np.random.default_rng(seed)
    sr, hop, nfft = 16000, 256, 1024
    n = seconds * sr
    t = np.arange(n) / sr
    sig = np.zeros(n)
    seg = int(0.15 * sr)
    for s in range(0, n, seg):
        e = min(n, s + seg)
        tt = t[s:e] - t[s]
        if rng.uniform() < 0.4:  # a fricative: noise in a band around 2-5 kHz
            spec = np.fft.rfft(rng.standard_normal(e - s))
            f = np.fft.rfftfreq(e - s, 1 / sr)
            spec *= np.exp(-((f - rng.uniform(2000, 5000)) / 1500) ** 2)
            sig[s:e] += 0.5 * np.fft.irfft(spec, e - s) * np.hanning(e - s)
        else:  # a voiced segment: harmonics weighted by three formants
            f0 = rng.uniform(90, 220)
            for h in range(1, 30):
                fh = f0 * h
                formants = rng.choice([300, 500, 700, 1100, 1500, 2300, 2800], 3)
                amp = sum(np.exp(-((fh - fc) / 120) ** 2) for fc in formants) + 0.02
                sig[s:e] += amp * np.sin(2 * np.pi * fh * tt) * np.hanning(e - s) / h ** 0.5
    sig += 0.01 * rng.standard_normal(n)
    frames = (n - nfft) // hop + 1
    win = np.hanning(nfft)
    x = np.empty((frames, nfft // 2 + 1), dtype=np.float32)
    for f0 in range(0, frames, 4096):
        f1 = min(frames, f0 + 4096)
        idx = np.arange(nfft)[None, :] + hop * np.arange(f0, f1)[:, None]
        x[f0:f1] = np.abs(np.fft.rfft(sig[idx] * win, axis=1))
    np.save(path, x)


def tfidf(path, root="/usr/share/doc"):
    from sklearn.feature_extraction.text import TfidfVectorizer
    docs = []
    for d, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            p = os.path.join(d, name)
            if os.path.islink(p) or os.path.getsize(p) < 200:
                continue
            try:
                raw = gzip.open(p).read() if name.endswith(".gz") else open(p, "rb").read()
            except (OSError, EOFError):
                continue
            if b"\0" in raw[:4096]:  # binary
                continue
            docs.append(raw[:200000].decode("utf-8", "replace"))
    v = TfidfVectorizer(stop_words="english", min_df=3, max_features=5000, dtype=np.float32)
    x = v.fit_transform(docs)
    x = x[np.asarray(x.sum(axis=1)).ravel() > 0]
    np.save(path, x.toarray().astype(np.float32))


def tfidf_sparse(path, dense):
    """tfidf.npy's matrix as scipy.sparse CSR (save_npz): the form a term-document matrix has."""
    import scipy.sparse
    scipy.sparse.save_npz(path, scipy.sparse.csr_matrix(np.load(dense)))


def patches(path, count=100000, size=16, seed=0):
    from sklearn.datasets import load_sample_images
    rng = np.random.default_rng(seed)
    images = load_sample_images().images
    x = np.empty((count, size * size * 3), dtype=np.uint8)
    for i in range(count):
        img = images[i % len(images)]
        r = rng.integers(0, img.shape[0] - size + 1)
        c = rng.integers(0, img.shape[1] - size + 1)
        x[i] = img[r:r + size, c:c + size].reshape(-1)
    np.save(path, x)


def growth_shifts():
    """The 100 shifts (dx, dy), nearest the origin first: (0, 0), then by |dx| + |dy|."""
    shifts = [(dx, dy) for dx in range(-5, 5) for dy in range(-5, 5)]
    return sorted(shifts, key=lambda s: (abs(s[0]) + abs(s[1]), s))


def shifted(digits, dx, dy):
    """digits (n x 28 x 28) moved dx pixels right and dy down, zeros shifted in."""
    out = np.zeros_like(digits)
    h, w = digits.shape[1:]
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        digits[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def shifted_mnist(path, mnist_dir, copies):
    with open(os.path.join(mnist_dir, "train-images-idx3-ubyte"), "rb") as f:
        digits = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 28, 28)
    n = digits.shape[0]
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n * copies, 28, 28))
    for c, (dx, dy) in enumerate(growth_shifts()[:copies]):
        x[c * n:(c + 1) * n] = shifted(digits, dx, dy)
    x.flush()
    del x


def main():
    args = sys.argv[1:]
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        return
    if args and args[0].startswith("-"):
        sys.exit("datasets.py: the first argument is the output folder, got option " + args[0] +
                 "\n" + __doc__)
    growth = None
    if len(args) == 3 and args[1] == "--growth":
        growth = args[2]
        args = args[:1]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    os.makedirs(out, exist_ok=True)
    makers = [("spectrogram.npy", spectrogram), ("speech.npy", speech), ("tfidf.npy", tfidf),
              ("tfidf.npz", lambda p: tfidf_sparse(p, os.path.join(out, "tfidf.npy"))),
              ("patches.npy", patches)]
    if growth:
        makers += [(name, lambda p, c=copies: shifted_mnist(p, growth, c))
                   for name, copies in (("mnist-600k.npy", 10), ("mnist-6m.npy", 100))]
    for name, make in makers:
        path = os.path.join(out, name)
        ext = os.path.splitext(name)[1]
        if not os.path.exists(path):
            make(path + ".tmp" + ext)
            os.replace(path + ".tmp" + ext, path)
        if ext == ".npz":
            import scipy.sparse
            x = scipy.sparse.load_npz(path)
            print("%s: %d x %d, %d stored" % (name, x.shape[0], x.shape[1], x.nnz))
            continue
        x = np.load(path, mmap_mode="r")
        x = x.reshape(x.shape[0], -1)
        zeros = sum(int((x[i:i + 100000] == 0).sum()) for i in range(0, x.shape[0], 100000))
        print("%s: %d x %d, %.1f%% zeros" % (name, x.shape[0], x.shape[1],
                                              100.0 * zeros / x.size))


if __name__ == "__main__":
    main()
