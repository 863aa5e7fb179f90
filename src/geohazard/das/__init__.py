"""DAS storm noise: band energy, spectra, weather, regression, sources, synthetic storms.

Implements the workflow of Shen & Zhu (2023, GJI 235:2122) as reusable functions over
DASCore patches and spools: :mod:`~geohazard.das.io` (reading, geometry),
:mod:`~geohazard.das.energy` (streamed, resumable band energy),
:mod:`~geohazard.das.weather`, :mod:`~geohazard.das.regression`,
:mod:`~geohazard.das.sources`, :mod:`~geohazard.das.spectra`,
:mod:`~geohazard.das.synthetic` and :mod:`~geohazard.das.pipeline` (end to end).
"""
