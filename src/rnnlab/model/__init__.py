"""The lab's equations, what a student reads: the activations, the inputs, the forward step
(rnn), the losses, backpropagation through time (bptt), the paths of the chain rule, the
gradient formulas and the checker of a written formula, and the RNN that is a bigram
model (bigram_rnn, section 2.2)."""
