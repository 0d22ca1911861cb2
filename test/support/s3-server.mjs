// An S3-compatible server for tests, in its own process so a test can kill it mid-upload:
// s3rver (filesystem-backed, validates SigV4 signatures) on 127.0.0.1.
// usage: node test/support/s3-server.mjs DIR PORT ACCESS_KEY SECRET_KEY BUCKET — prints "ready PORT".
import S3rver from 's3rver';
import Account from 's3rver/lib/models/account.js';

const [dir, port, accessKey, secretKey, bucket] = process.argv.slice(2);
Account.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), directory: dir, silent: true, configureBuckets: [{ name: bucket }] });
const { port: bound } = await server.run();
process.stdout.write(`ready ${bound}\n`);
