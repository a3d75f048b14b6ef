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
