/**
 * Imported first by the CLI: the AWS SDK warns on every start that future releases need Node 22.
 * The project supports Node 20 (see package.json engines); the warning is noise on a CLI's stderr.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
