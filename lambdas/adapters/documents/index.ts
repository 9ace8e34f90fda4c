/** Document stores: local files (`file://`, the local runner) and S3 (`s3://`, the Lambdas). */
export {
  LocalDocumentStore,
  fromFileUri,
  toFileUri,
  type LocalDocumentStoreOptions,
} from './local-document-store';
export {
  S3DocumentStore,
  parseS3Uri,
  toS3Uri,
  type S3DocumentStoreOptions,
  type S3Location,
} from './s3-document-store';
export {
  BINARY_EXTENSIONS,
  IGNORED_DIRECTORIES,
  checkTextBytes,
  countCodePoints,
  textBytesOrThrow,
  utf8CodePoints,
  decodeText,
  hasBinaryExtension,
  type DecodedText,
} from './text';
