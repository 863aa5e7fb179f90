import numpy as np
import pytest

from geohazard.das.spectra import (
    channel_spectra,
    channel_spectrogram,
    find_resonances,
    resonance_tracks,
    window_psd,
)
from geohazard.das.synthetic import resonance, write_foresee
from geohazard.exceptions import ParameterError


def test_resonance_peak_found_at_pole_frequency():
    rng = np.random.default_rng(0)
    fs, n = 100.0, 6000
    x = np.column_stack([resonance(rng, n, fs, 2.4, 8.0) * 5 + 0.1 * rng.standard_normal(n),
                         rng.standard_normal(n)])
    freqs, psd = channel_spectra(x, fs)
    assert psd.shape == (freqs.size, 2)
    peaks = find_resonances(freqs, psd[:, 0])
    assert abs(peaks["freq_hz"].iat[0] - 2.4) <= 0.25
    assert peaks["prominence_db"].iat[0] > 10
    assert find_resonances(freqs, psd[:, 1], prominence_db=10).empty  # white noise
    # Welch PSD integrates to the variance
    assert np.trapezoid(psd[:, 1], freqs) == pytest.approx(np.var(x[:, 1]), rel=0.05)
    f, t, s = channel_spectrogram(x[:, 0], fs, seg_s=4.0)
    assert s.shape == (f.size, t.size) and t.size > 20
    with pytest.raises(ParameterError):
        find_resonances(freqs, psd[:, 0], fmin=1.0, fmax=1.1)


def test_tracks_and_window_psd_read_files(tmp_path):
    rng = np.random.default_rng(1)
    fs, t0 = 50.0, 1_630_454_400.0
    n = int(20 * fs)
    x = 0.05 * rng.standard_normal((n, 4))
    x[:, 2] += resonance(rng, n, fs, 1.8, 10.0)
    path = write_foresee(tmp_path / "f.h5", x.astype(np.float32), t0, fs)
    from geohazard.das.io import scan_path

    files = scan_path(path)
    starts = [int(t0 * 1e9), int((t0 + 10) * 1e9)]
    tracks = resonance_tracks(files, [2, 3], starts, 10.0)
    assert len(tracks) == 4
    peak = tracks.loc[tracks["channel"] == 2, "peak_freq_hz"]
    assert np.all(np.abs(peak - 1.8) <= 0.25)
    freqs, psd = window_psd(files, 2, starts[0], 10.0)
    assert freqs[np.argmax(psd)] == pytest.approx(1.8, abs=0.25)
