import pytest

import embedlab as el


def test_unknown_loss_lists_the_known_ones(standin):
    with pytest.raises(el.errors.InputError, match=r"unknown loss 'triplet'.*'cosine'.*'softmax'"):
        el.losses.make_loss("triplet", standin)


@pytest.mark.parametrize("name", sorted(el.losses.LOSSES))
def test_every_named_loss_builds(standin, name):
    loss = el.losses.make_loss(name, standin)
    assert loss.model is standin


def test_softmax_classifier_reads_u_v_and_difference(standin):
    loss = el.losses.make_loss("softmax", standin)
    assert loss.classifier.in_features == 3 * 128 and loss.classifier.out_features == 3


def test_loss_weights_do_not_depend_on_what_ran_before(standin):
    import torch

    first = el.losses.make_loss("softmax", standin, seed=3).classifier.weight.clone()
    torch.rand(1000)  # move the global random state on
    second = el.losses.make_loss("softmax", standin, seed=3).classifier.weight
    assert torch.equal(first, second)


def test_in_batch_losses_gather_across_devices_on_request(standin):
    assert el.losses.make_loss("mnr", standin, gather_across_devices=True).gather_across_devices
    assert not el.losses.make_loss("mnr", standin).gather_across_devices
    assert el.losses.make_loss(
        "cached-mnr", standin, gather_across_devices=True
    ).gather_across_devices
    el.losses.make_loss("cosine", standin, gather_across_devices=True)  # nothing to gather: ignored


def test_unknown_loss_option_is_named(standin):
    with pytest.raises(
        el.errors.InputError, match=r"loss 'mnr' does not take option\(s\) \['temperature'\]"
    ):
        el.losses.make_loss("mnr", standin, temperature=0.05)


def test_big_mnr_batches_on_a_gpu_go_through_cached_mnr(monkeypatch):
    assert el.losses.mnr_loss_for_batch(256, "cuda") == "cached-mnr"
    assert el.losses.mnr_loss_for_batch(64, "cuda") == "mnr"
    assert el.losses.mnr_loss_for_batch(256, "cpu") == "mnr"  # the quick sweep is unchanged
    monkeypatch.setattr(el.losses, "device_name", lambda: "cuda")
    assert el.losses.mnr_loss_for_batch(128) == "cached-mnr"
    model = el.load_base_model(el.profiles.QUICK)
    loss = el.losses.make_loss(el.losses.mnr_loss_for_batch(128), model, mini_batch_size=32)
    assert (
        type(loss).__name__ == "CachedMultipleNegativesRankingLoss" and loss.mini_batch_size == 32
    )
