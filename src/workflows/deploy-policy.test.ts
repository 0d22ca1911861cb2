// Deploy policy table tests (pure): tag globs, branch lists, `any`, --image tag matching, and the
// default ref per policy; refusals say why and what to run instead.
import { describe, expect, it } from 'vitest';
import { type DeployPolicy, type Environment, defaultTls } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { defaultRef, enforcePolicy, globMatch, imageTag, type Candidate } from './deploy-policy.ts';

const env = (name: string, deploy: DeployPolicy): Environment => ({
  name,
  server: 'local',
  deploy,
  protected: false,
  auth: null,
  rateLimit: null,
  domain: null,
  tls: defaultTls('off'),
  limits: {},
});
const prod = env('prod', { kind: 'tags', pattern: 'v*' });
const staging = env('staging', { kind: 'branch', branches: ['develop', 'release'] });
const dev = env('dev', { kind: 'any' });

function refusal(e: Environment, c: Candidate): UserError | undefined {
  try {
    enforcePolicy(e, c);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
}

describe('globMatch', () => {
  it.each([
    ['v*', 'v1.0.0', true],
    ['v*', 'v', true],
    ['v*', 'release-v1', false],
    ['v*', 'V1.0.0', false],
    ['v?.*', 'v1.2', true],
    ['v?.*', 'v10.2', false],
    ['v1.*', 'v1x2', false], // the dot is literal
    ['release/*', 'release/2025-01', true],
    ['prod-(a|b)', 'prod-(a|b)', true], // regex characters are literal
    ['prod-(a|b)', 'prod-a', false],
    ['*', '', true],
    ['x', 'xx', false], // anchored
  ])('%s ~ %j → %s', (pattern, text, ok) => {
    expect(globMatch(pattern, text)).toBe(ok);
  });
});

describe('enforcePolicy: refs', () => {
  it.each<[Environment, Candidate, RegExp | null]>([
    [prod, { ref: 'v1.0.0', kind: 'tag' }, null],
    [prod, { ref: 'v2.3.4-rc1', kind: 'tag' }, null],
    [prod, { ref: 'develop', kind: 'branch' }, /^prod deploys only from a git tag matching "v\*"; "develop" is a branch, not a tag$/],
    [prod, { ref: 'nightly', kind: 'tag' }, /^prod deploys only from a git tag matching "v\*"; "nightly" is a tag that does not match$/],
    [prod, { ref: 'abc123', kind: 'commit' }, /"abc123" is a commit, not a tag/],
    [prod, { ref: 'v1.0.0', kind: 'branch' }, /"v1\.0\.0" is a branch, not a tag/], // a branch named like a tag
    [prod, {}, /"\(none\)" is a ref, not a tag/],
    [staging, { ref: 'develop', kind: 'branch' }, null],
    [staging, { ref: 'release', kind: 'branch' }, null],
    [staging, { ref: 'main', kind: 'branch' }, /^staging deploys only from branch "develop" or "release"; got branch "main"$/],
    [staging, { ref: 'develop', kind: 'tag' }, /got tag "develop"/],
    [staging, { ref: 'deadbeef', kind: 'commit' }, /got commit "deadbeef"/],
    [dev, { ref: 'anything', kind: 'commit' }, null],
    [dev, { ref: 'feature/x', kind: 'branch' }, null],
    [dev, {}, null],
  ])('%#: %o %o', (e, c, expected) => {
    const err = refusal(e, c);
    if (expected === null) expect(err).toBeUndefined();
    else expect(err?.message).toMatch(expected);
  });

  it('says what to run instead', () => {
    expect(refusal(prod, { ref: 'develop', kind: 'branch' })!.hint).toBe(
      'tag the commit (git tag v1.2.3 && git push --tags) and run: slipway deploy APP prod --ref v1.2.3',
    );
    expect(refusal(staging, { ref: 'main', kind: 'branch' })!.hint).toBe('run: slipway deploy APP staging --ref develop');
  });
});

describe('enforcePolicy: --image', () => {
  it.each<[Environment, string, RegExp | null]>([
    [prod, 'acme/web:v1.2.3', null],
    [prod, 'registry.local:5000/acme/web:v1.2.3', null], // the registry port is not the tag
    [prod, 'acme/web:latest', /^prod only accepts releases tagged "v\*"; image acme\/web:latest has tag "latest"$/],
    [prod, 'acme/web', /has tag "latest"/], // no tag means latest
    [prod, 'registry.local:5000/acme/web', /has tag "latest"/], // the registry port is not a tag
    [prod, 'acme/web:1.2.3', /has tag "1\.2\.3"/],
    // Branch-only environments take any image (the image is the release).
    [staging, 'acme/web:latest', null],
    [dev, 'acme/web:whatever', null],
  ])('%#: %s', (e, image, expected) => {
    const err = refusal(e, { image });
    if (expected === null) expect(err).toBeUndefined();
    else expect(err?.message).toMatch(expected);
  });

  it('a refused image gets a hint with a matching tag', () => {
    expect(refusal(prod, { image: 'acme/web:latest' })!.hint).toBe('tag the image to match (e.g. acme/web:v1.2.3), or deploy a git tag with --ref');
    expect(refusal(prod, { image: 'registry.local:5000/acme/web:main' })!.hint).toBe(
      'tag the image to match (e.g. registry.local:5000/acme/web:v1.2.3), or deploy a git tag with --ref',
    );
  });

  it.each([
    ['acme/web:v1', 'acme/web', 'v1'],
    ['acme/web', 'acme/web', 'latest'],
    ['registry.local:5000/acme/web', 'registry.local:5000/acme/web', 'latest'],
    ['registry.local:5000/acme/web:v2', 'registry.local:5000/acme/web', 'v2'],
    ['acme/web:v3@sha256:abc', 'acme/web', 'v3'],
  ])('imageTag(%s) → %s : %s', (image, repo, tag) => {
    expect(imageTag(image)).toEqual({ repo, tag });
  });
});

describe('defaultRef', () => {
  it('branch policy: the first allowed branch, whatever is checked out', () => {
    expect(defaultRef(staging, 'main')).toBe('develop');
    expect(defaultRef(staging, undefined)).toBe('develop');
  });

  it('any: the current branch, or HEAD when detached', () => {
    expect(defaultRef(dev, 'feature/x')).toBe('feature/x');
    expect(defaultRef(dev, undefined)).toBe('HEAD');
  });

  it('tags: there is no default; asks for --ref', () => {
    expect(() => defaultRef(prod, 'main')).toThrow(UserError);
    expect(() => defaultRef(prod, 'main')).toThrow('prod deploys only from a tag matching "v*": pass --ref');
  });
});
