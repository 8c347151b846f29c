"""Speed and memory of glassnet's training against PyTorch, scikit-learn and BLAS.

Run ``python -m benchmarks`` from the repository root; see benchmarks/README.md.
"""
