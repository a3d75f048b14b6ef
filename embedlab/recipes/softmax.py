"""SoftmaxLoss on NLI pairs, and the training arguments: the recipe cells of notebooks/02_softmax_loss.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

# The loss comparison's changes to a profile, by scale. Quick: half the profile's rows (19,832 of
# 39,664) at twice its learning rates. Measured on seed 42 from the 0.492 base: SoftmaxLoss
# 0.555 -> 0.529 and CosineSimilarityLoss 0.545 -> 0.540 in half the time; half the rows at the
# profile's rates left SoftmaxLoss at 0.500, too close to its base. Full: none (the book's).
LOSS_COMPARISON = {"quick": {"n_train": 19_832, "learning_rate": 2e-4, "head_learning_rate": 2e-3}}


import torch
from sentence_transformers.sentence_transformer.losses import SoftmaxLoss


def softmax_loss(model, seed):
    """SoftmaxLoss over the three NLI labels; its new classifier's weights are drawn with `seed`."""
    torch.manual_seed(seed)
    return SoftmaxLoss(
        model,
        embedding_dimension=model.get_embedding_dimension(),
        num_labels=3,  # entailment, neutral, contradiction
    )


from sentence_transformers import SentenceTransformerTrainingArguments

from embedlab.batching import LengthGroupedBatchSampler
from embedlab.profiles import device_name, precision


def training_args(
    profile, output_dir, head_learning_rate=None, batch_sampler=LengthGroupedBatchSampler
):
    """How to train, from the profile's settings; `head_learning_rate` gives the parameters
    of a loss's new classifier (SoftmaxLoss's) a rate of their own."""
    mixed = precision()  # "bf16" or "fp16" on a GPU that supports it, "fp32" otherwise
    return SentenceTransformerTrainingArguments(
        output_dir=output_dir,  # where checkpoints would go (we keep none)
        num_train_epochs=profile.epochs,
        per_device_train_batch_size=profile.batch_size,
        per_device_eval_batch_size=profile.batch_size,
        learning_rate=profile.learning_rate,  # the encoder's peak rate
        # parameter names -> their own rate: here the classifier's ("classifier.weight" ...)
        learning_rate_mapping={r"^classifier\.": head_learning_rate} if head_learning_rate else {},
        warmup_steps=profile.warmup_steps,  # the learning rate ramps up over the first steps
        fp16=mixed == "fp16",
        bf16=mixed == "bf16",
        batch_sampler=batch_sampler,  # shuffled batches of similar length (above)
        eval_strategy="steps",  # score STS-B during training ...
        eval_steps=profile.eval_steps,  # ... every this many steps
        logging_steps=max(1, profile.eval_steps // 4),  # how often the loss is logged
        save_strategy="no",  # no checkpoints; the trained model is saved once, below
        report_to="none",  # no experiment tracker
        disable_tqdm=False,  # a progress bar while training
        optim="adamw_torch_fused",  # AdamW in one fused kernel: faster steps
        seed=profile.seed,  # dropout ...
        data_seed=profile.seed,  # ... and the order of the batches
        use_cpu=device_name() == "cpu",
        dataloader_pin_memory=device_name() != "cpu",
    )


from sentence_transformers import SentenceTransformerTrainer


def softmax_trainer(model, train_dataset, profile, evaluator, output_dir="checkpoints/softmax"):
    """SoftmaxLoss on (sentence1, sentence2, label) rows, scored by `evaluator` while it trains;
    `trainer.train()` trains `model`."""
    return SentenceTransformerTrainer(
        model=model,
        args=training_args(profile, output_dir, head_learning_rate=profile.head_learning_rate),
        train_dataset=train_dataset,  # sentence1, sentence2, label
        loss=softmax_loss(model, profile.seed),
        evaluator=evaluator,  # scored every eval_steps while training
    )
