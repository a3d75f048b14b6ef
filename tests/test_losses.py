import pytest

import embedlab as el


def test_unknown_loss_lists_the_known_ones(standin):
    with pytest.raises(el.InputError, match=r"unknown loss 'triplet'.*'cosine'.*'softmax'"):
        el.make_loss("triplet", standin)


@pytest.mark.parametrize("name", sorted(el.LOSSES))
def test_every_named_loss_builds(standin, name):
    loss = el.make_loss(name, standin)
    assert loss.model is standin


def test_softmax_classifier_reads_u_v_and_difference(standin):
    loss = el.make_loss("softmax", standin)
    assert loss.classifier.in_features == 3 * 128 and loss.classifier.out_features == 3


def test_loss_weights_do_not_depend_on_what_ran_before(standin):
    import torch

    first = el.make_loss("softmax", standin, seed=3).classifier.weight.clone()
    torch.rand(1000)  # move the global random state on
    second = el.make_loss("softmax", standin, seed=3).classifier.weight
    assert torch.equal(first, second)
