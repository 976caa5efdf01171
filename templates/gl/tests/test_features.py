"""The feature transform: identical on a batch and on one record, and after a save/load."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from card_fraud_detector.core.features import UNKNOWN_CODE, FeatureTransformer, categorical_columns


def test_round_trip_through_json(sample_frame: pd.DataFrame, tmp_path: Path) -> None:
    transformer = FeatureTransformer().fit(sample_frame)
    transformer.save(tmp_path / "features.json")
    loaded = FeatureTransformer.load(tmp_path / "features.json")
    assert_frame_equal(transformer.transform(sample_frame), loaded.transform(sample_frame))


def test_one_record_is_transformed_like_the_batch(sample_frame: pd.DataFrame) -> None:
    """No train/serve skew: a served record gets exactly its training-time features."""
    transformer = FeatureTransformer().fit(sample_frame)
    batch = transformer.transform(sample_frame)
    for position in (0, 17, len(sample_frame) - 1):
        single = transformer.transform(sample_frame.iloc[[position]])
        assert_frame_equal(single, batch.iloc[[position]])


def test_unseen_category_maps_to_unknown(sample_frame: pd.DataFrame) -> None:
    column = categorical_columns()[0]
    transformer = FeatureTransformer().fit(sample_frame)
    frame = sample_frame.head(2).copy()
    frame[column] = "never-seen"
    assert (transformer.transform(frame)[column] == UNKNOWN_CODE).all()


def test_output_columns_are_fixed_at_fit(sample_frame: pd.DataFrame) -> None:
    transformer = FeatureTransformer().fit(sample_frame)
    shuffled = sample_frame[list(reversed(sample_frame.columns))]
    assert list(transformer.transform(shuffled).columns) == transformer.output_columns
