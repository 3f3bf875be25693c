/**
 * Errors of the federation runtime. A {@link ProtocolViolation} is a refused message: it is
 * logged with its reason and has no effect on the round.
 */
import { HemasynthError } from '../errors';

/** A message refused by the coordinator or a site (unknown sender, wrong round or phase, replay, malformed payload). */
export class ProtocolViolation extends HemasynthError {
  constructor(readonly site: string, readonly reason: string) {
    super(`refused message from ${site || 'an unknown peer'}: ${reason}`);
  }
}

/** A round that could not complete (fewer than the threshold of sites left); the global model is unchanged. */
export class RoundAborted extends HemasynthError {
  constructor(readonly round: number, readonly reason: string) {
    super(`round ${round} aborted: ${reason}`);
  }
}
