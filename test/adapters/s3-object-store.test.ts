/** S3ObjectStore's reading of S3 errors (aws-sdk-client-mock); its normal use is tested with the batch handlers. */
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchBucket, NoSuchKey, NotFound, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '../../lambdas/adapters/s3/s3-object-store';

const s3 = mockClient(S3Client);
const store = () => new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'pipeline');
const meta = { $metadata: { httpStatusCode: 404, requestId: 'req-1' } };

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

describe('S3ObjectStore', () => {
  it('reads a missing object as absent', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...meta }));
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', ...meta }));
    s3.on(CopyObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...meta }));
    await expect(store().getText('jobs/a.json')).resolves.toBeUndefined();
    await expect(store().exists('jobs/a.json')).resolves.toBe(false);
    await expect(store().move('jobs/a.json', 'done/a.json')).resolves.toBe(false);
  });

  it('throws on a missing bucket instead of reading it as a missing object', async () => {
    const gone = new NoSuchBucket({ message: 'The specified bucket does not exist', ...meta });
    s3.on(GetObjectCommand).rejects(gone);
    s3.on(CopyObjectCommand).rejects(gone);
    await expect(store().getText('jobs/a.json')).rejects.toBe(gone);
    await expect(store().move('jobs/a.json', 'done/a.json')).rejects.toBe(gone);
  });
});
