DROP TABLE manual_task_files;
DROP TABLE manual_tasks;
