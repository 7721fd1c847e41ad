"""Operations tooling (backup and restore); not part of the running product."""
