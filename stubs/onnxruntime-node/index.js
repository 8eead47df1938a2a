throw new Error('onnxruntime-node is not available in StoryLoom: models run in the browser through onnxruntime-web.');
