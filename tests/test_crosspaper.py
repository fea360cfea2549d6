"""The cross-paper glue: closed-form proxy kernels of an ACL network, the CNN head as a ReLU
network, and the shift-instability ratio of a filter bank."""

import numpy as np
import pytest
import torch

from cnnmath.cross.experiments import ACLTemplateNet, HeadCNN, bank_shift_ratios, head_network, template_proxy_kernels


@pytest.fixture
def net() -> ACLTemplateNet:
    torch.manual_seed(3)
    model = ACLTemplateNet(channels=3, kernel_size=5, size=10, n_classes=2, families=("gabor", "log")).double()
    with torch.no_grad():
        model.acl.bias.normal_()   # expand the sigmoid at points other than 0
    return model


def test_proxy_kernels_are_the_taylor_terms_of_the_network(net) -> None:
    p0, p1, p2 = template_proxy_kernels(net, order=2)
    x0 = torch.zeros(100, dtype=torch.float64)
    f = lambda x: net(x.view(1, 1, 10, 10))[0]  # noqa: E731
    assert torch.allclose(p0, f(x0), rtol=0, atol=1e-14)
    jac = torch.autograd.functional.jacobian(f, x0)
    assert (p1.flatten(1) - jac).abs().max() <= 1e-14 * jac.abs().max()
    for k in range(2):
        hess = torch.autograd.functional.hessian(lambda x: f(x)[k], x0)
        assert (p2[k] - hess / 2).abs().max() <= 1e-14 * hess.abs().max()
        assert (p2[k] - p2[k].T).abs().max() <= 1e-15 * p2[k].abs().max()


def test_order_two_series_matches_the_network_for_small_inputs(net) -> None:
    p0, p1, p2 = template_proxy_kernels(net, order=2)
    x = 1e-3 * torch.randn(4, 100, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    series = p0 + x @ p1.flatten(1).T + torch.einsum("bu,kuv,bv->bk", x, p2, x)
    exact = net(x.view(4, 1, 10, 10))
    assert (series - exact).abs().max() < 1e-8     # the remainder is of order |x|^3


def test_proxy_order_is_checked(net) -> None:
    assert len(template_proxy_kernels(net, order=0)) == 1
    with pytest.raises(ValueError, match="order must be 0, 1 or 2"):
        template_proxy_kernels(net, order=3)
    with pytest.raises(ValueError, match="kernel_size must be in"):
        ACLTemplateNet(kernel_size=30, size=28)


def test_head_network_is_the_models_classifier() -> None:
    torch.manual_seed(0)
    model = HeadCNN(c1=2, c2=4, hidden=5).double().eval()
    x = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    with torch.no_grad():
        feats, logits = model.features(x), model(x)
    head = head_network(model)
    assert head.sizes == (64, 5, 10)
    np.testing.assert_allclose(head(feats.numpy()), logits.numpy(), rtol=0, atol=1e-13)


def test_bank_shift_ratios_vanish_without_a_shift_and_grow_with_frequency() -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(6, 32, 32, dtype=torch.float64, generator=gen)
    shifted = torch.roll(x, 1, dims=-1)
    u = torch.arange(7, dtype=torch.float64) - 3
    envelope = torch.exp(-(u[:, None] ** 2 + u[None, :] ** 2) / 4)
    bank = torch.stack([envelope, envelope * torch.cos(2.5 * u)[None, :]])   # low-pass, high-pass
    assert torch.all(bank_shift_ratios(x, x, bank) == 0)
    ratio = bank_shift_ratios(x, shifted, bank)
    assert ratio.shape == (2,) and 0 < ratio[0] < ratio[1]
    with pytest.raises(ValueError, match="odd k"):
        bank_shift_ratios(x, shifted, bank[..., :6, :6])
    with pytest.raises(ValueError, match="must both be"):
        bank_shift_ratios(x, shifted[:3], bank)
