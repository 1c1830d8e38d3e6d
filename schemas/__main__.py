"""`python -m schemas`: regenerate schemas/json from the models."""

from schemas.export import write

for path in write():
    print(path)
